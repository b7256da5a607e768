import Foundation
import PostgresTestSupport
import StewardCore
import StewardPostgres
import StewardStore
import Testing

@Suite("Validation after the setup script, and NEON over verified TLS, on real servers")
struct FullValidationTests {
    @Test("The setup script followed by validate passes every check", arguments: TestPostgres.supported)
    func setupScriptThenValidate(server: TestPostgres) async throws {
        try await withValidationFixture(server, governed: ["a", "b \"quoted\""]) { fixture in
            let owner = fixture.name("owner")
            try await fixture.admin("CREATE ROLE \(q(owner)) NOLOGIN")
            for database in fixture.settings.governedDatabases {
                try await fixture.admin(
                    in: database,
                    "CREATE SCHEMA \"x'; DROP TABLE t; --\"",
                    "CREATE TABLE \"x'; DROP TABLE t; --\".\"T 1\" (id int)",
                    "ALTER TABLE \"x'; DROP TABLE t; --\".\"T 1\" OWNER TO \(q(owner))",
                    "CREATE TABLE public.plain (id int)",
                    "CREATE VIEW public.v AS SELECT 1 AS one")
            }
            let before = await fixture.validate()
            #expect(ValidationSummary(checks: before).outcome == .failed)
            try await fixture.runSetupScript()
            expectAllPassed(await fixture.validate())
        }
    }

    @Test("For a NOINHERIT role the setup script grants inheriting membership, so ALTER TABLE passes", arguments: TestPostgres.supported)
    func noInheritRole(server: TestPostgres) async throws {
        try await withValidationFixture(server, roleAttributes: "NOINHERIT") { fixture in
            let owner = fixture.name("owner")
            try await fixture.admin("CREATE ROLE \(q(owner)) NOLOGIN")
            try await fixture.admin(
                in: fixture.settings.governedDatabases[0],
                "CREATE TABLE public.owned (id int)",
                "ALTER TABLE public.owned OWNER TO \(q(owner))")
            try await fixture.runSetupScript()
            expectAllPassed(await fixture.validate())
            // Idempotent: a second run changes nothing and still passes.
            try await fixture.runSetupScript()
            expectAllPassed(await fixture.validate())
        }
    }

    @Test("NEON with verify-full and the server's CA passes every check")
    func neonVerified() async throws {
        try await withValidationFixture(.pg17tls, overTCP: true) { fixture in
            fixture.settings.deploymentType = .neon
            fixture.settings.host = try TestPostgres.setting("STEWARD_PG17TLS_HOSTNAME")
            fixture.settings.sslMode = .verifyFull
            fixture.settings.caCertificate = try String(contentsOfFile: try TestPostgres.setting("STEWARD_PG17TLS_CA"), encoding: .utf8)
            try await fixture.runSetupScript()
            let results = await fixture.validate()
            expectAllPassed(results)
            #expect(results[.tls].message.contains("verify-full"))
        }
    }

    @Test("NEON with a CA that did not sign the server's certificate fails at tls")
    func neonWrongCA() async throws {
        try await withValidationFixture(.pg17tls, overTCP: true) { fixture in
            fixture.settings.deploymentType = .neon
            fixture.settings.host = try TestPostgres.setting("STEWARD_PG17TLS_HOSTNAME")
            fixture.settings.sslMode = .verifyFull
            fixture.settings.caCertificate = try String(contentsOfFile: try TestPostgres.setting("STEWARD_PG17TLS_WRONG_CA"), encoding: .utf8)
            let results = await fixture.validate()
            #expect(results[.reachable].status == .passed)
            #expect(results[.tls].status == .failed)
            #expect(results[.tls].message.contains("the server's certificate is not trusted"), "\(results[.tls].message)")
            expectSkipped(after: .tls, in: results)
        }
    }
}

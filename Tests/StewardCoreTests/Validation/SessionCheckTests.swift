import Foundation
import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

@Suite("Validation: reachable, tls, login, server_version on real servers")
struct SessionCheckTests {
    @Test("A wrong password fails login without showing it; the later checks are skipped")
    func wrongPassword() async throws {
        try await withValidationFixture(.pg17) { fixture in
            let results = await fixture.validate(password: "not-the-password")
            #expect(results[.reachable].status == .passed)
            #expect(results[.login].status == .failed)
            #expect(results[.login].message.contains("password authentication failed for user"), "\(results[.login].message)")
            #expect(results.allSatisfy { !$0.message.contains("not-the-password") && !$0.message.contains(fixture.password) })
            expectSkipped(after: .login, in: results)
            #expect(ValidationSummary(checks: results).outcome == .failed)
        }
    }

    @Test("A closed port fails reachable, at once; everything else is skipped")
    func closedPort() async throws {
        let settings = ConnectionSettings(
            displayName: "closed", deploymentType: .selfManaged, host: "127.0.0.1", port: 1, stateDatabase: "s",
            governedDatabases: ["g"], username: "nobody", sslMode: .prefer)
        let started = Date()
        // An executor of its own: waiting for a worker that other suites hold
        // would count against the time measured here.
        let results = await ConnectionValidator(executor: PostgresExecutor(maxConcurrentJobs: 1)).validate(
            key: "closed", settings: settings, password: "x", marker: "m", deadline: .after(milliseconds: 10_000))
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(results[.reachable].status == .failed)
        #expect(results[.reachable].message.hasPrefix("cannot reach 127.0.0.1:1: "), "\(results[.reachable].message)")
        expectSkipped(after: .reachable, in: results)
    }

    @Test("A server that never answers fails reachable when the deadline passes, not later")
    func silentServer() async throws {
        let silent = SilentPort()
        let settings = ConnectionSettings(
            displayName: "silent", deploymentType: .selfManaged, host: "127.0.0.1", port: silent.port, stateDatabase: "s",
            governedDatabases: [], username: "nobody", sslMode: .disable)
        let started = Date()
        // An executor of its own: waiting for a worker that other suites hold
        // would count against the time measured here.
        let results = await ConnectionValidator(executor: PostgresExecutor(maxConcurrentJobs: 1)).validate(
            key: "silent", settings: settings, password: "x", marker: "m", deadline: .after(milliseconds: 300))
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.3 && elapsed < 2, "took \(elapsed) s")
        #expect(results[.reachable].status == .failed)
        #expect(results[.reachable].message.contains("cannot reach 127.0.0.1:\(silent.port)"), "\(results[.reachable].message)")
        expectSkipped(after: .reachable, in: results)
        withExtendedLifetime(silent) {}
    }

    @Test("sslmode=require against a server without TLS fails tls")
    func tlsRequiredButNotOffered() async throws {
        let admin = try TestPostgres.pg16.adminOverTCP()
        let settings = ConnectionSettings(
            displayName: "plain", deploymentType: .selfManaged, host: admin.host, port: admin.port, stateDatabase: "postgres",
            governedDatabases: [], username: admin.user, sslMode: .require)
        let results = await ConnectionValidator(executor: testExecutor).validate(
            key: "plain", settings: settings, password: try TestPostgres.pg16.password, marker: "m", deadline: .after(milliseconds: 10_000))
        #expect(results[.reachable].status == .passed)
        #expect(results[.tls].status == .failed)
        #expect(results[.tls].message.contains("the server does not offer TLS, but sslmode=require requires it"), "\(results[.tls].message)")
        expectSkipped(after: .tls, in: results)
    }

    @Test("Plain TCP with sslmode=prefer warns that traffic is not encrypted")
    func plainTCPWarns() async throws {
        try await withValidationFixture(.pg17, overTCP: true) { fixture in
            try await fixture.runSetupScript()
            let results = await fixture.validate()
            #expect(results[.tls].status == .warning)
            #expect(results[.tls].message.contains("traffic is not encrypted"))
            #expect(results.filter { $0.name != "tls" }.allSatisfy { $0.status == .passed }, "\(results.dump)")
            #expect(ValidationSummary(checks: results).outcome == .warning)
        }
    }

    @Test("PostgreSQL 15 and 18 are refused with their version; the later checks are skipped", arguments: [TestPostgres.pg15, .pg18])
    func unsupportedVersions(server: TestPostgres) async throws {
        let version = try TestPostgres.setting("STEWARD_\(server.rawValue.uppercased())_VERSION")
        try await withValidationFixture(server) { fixture in
            // No state database: the version is read on the governed database instead.
            let results = await fixture.validate()
            #expect(results.prefix(3).allSatisfy { $0.status == .passed }, "\(results.dump)")
            #expect(results[.serverVersion].status == .failed)
            #expect(results[.serverVersion].message == "PostgreSQL \(version) is not supported; Steward supports 16 and 17")
            expectSkipped(after: .serverVersion, in: results)
        }
    }
}

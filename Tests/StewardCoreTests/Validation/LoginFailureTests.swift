import Foundation
import PostgresTestSupport
@testable import StewardCore
import StewardPostgres
import StewardStore
import Testing

/// A refused login reads as what it is, with the server's SQLSTATE and
/// words (escaped), not as a connection the server ended.
@Suite("Validation: why a login was refused, on real servers")
struct LoginFailureTests {
    @Test("A NOLOGIN role: 'may not log in (NOLOGIN)' with SQLSTATE 28000; its remediation lets it log in", arguments: TestPostgres.supported)
    func noLogin(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            try await fixture.admin("ALTER ROLE \(q(fixture.role)) NOLOGIN")
            let results = await fixture.validate()
            let login = results[.login]
            #expect(login.status == .failed)
            #expect(login.message.hasPrefix("role \(q(fixture.role)) may not log in (NOLOGIN)"), "\(login.message)")
            #expect(login.message.contains("SQLSTATE 28000: role \"\(fixture.role)\" is not permitted to log in"), "\(login.message)")
            #expect(!login.message.contains("ended the connection"))
            expectSkipped(after: .login, in: results)
            try await fixture.runRemediation(of: login)
            #expect(await fixture.validate()[.login].status == .passed)
        }
    }

    @Test("An expired password (VALID UNTIL passed) is told apart from nothing: the message says both causes, SQLSTATE 28P01; the remediation lifts an expired VALID UNTIL", arguments: TestPostgres.supported)
    func expiredPassword(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            try await fixture.admin("ALTER ROLE \(q(fixture.role)) VALID UNTIL '2000-01-01'")
            // The server answers a wrong password and an expired one alike.
            for password in [fixture.password, "not-the-password"] {
                let login = await fixture.validate(password: password)[.login]
                #expect(login.status == .failed)
                #expect(login.message.hasPrefix(
                    "password authentication failed for role \(q(fixture.role)): wrong password, or its VALID UNTIL has passed"), "\(login.message)")
                #expect(login.message.contains("SQLSTATE 28P01: password authentication failed for user"), "\(login.message)")
                #expect(!login.message.contains(password))
            }
            // The remediation lifts VALID UNTIL only because it has passed; then the right password logs in.
            let expired = await fixture.validate()[.login]
            #expect(expired.remediationSQL?.contains("VALID UNTIL") == true, "\(expired.remediationSQL ?? "")")
            try await fixture.runRemediation(of: expired)
            #expect(await fixture.validate()[.login].status == .passed)
        }
    }

    @Test("The server's words are escaped: a role name with control characters leaves none in the report", arguments: TestPostgres.supported)
    func hostileWordsEscaped(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let role = fixture.name("bell\u{7}tab\tesc\u{1B}[31m")
            try await fixture.admin("CREATE ROLE \(q(role)) NOLOGIN PASSWORD \(SQLQuoting.literal(fixture.password))")
            var settings = fixture.settings
            settings.username = role
            let results = await fixture.validate(settings)
            let login = results[.login]
            #expect(login.status == .failed)
            #expect(login.message.contains("may not log in (NOLOGIN)"), "\(login.message)")
            #expect(login.message.contains("bell\\u{0007}tab\\tesc\\u{001B}[31m"), "\(login.message)")
            #expect(!results.contains { $0.message.unicodeScalars.contains(where: SQLQuoting.needsEscape) })
        }
    }
}

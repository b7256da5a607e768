import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

/// CONNECT is a privilege, not a connection: a governed database that
/// refuses the role although it holds CONNECT fails database_connect with
/// the server's reason, and the checks after it say once that its objects
/// were not checked instead of counting it as a failing object.
@Suite("Validation: connections refused despite CONNECT, on real servers")
struct ConnectRefusalTests {
    @Test("A database with CONNECTION LIMIT 0 fails database_connect (53300); ALTER DATABASE … CONNECTION LIMIT -1 fixes it", arguments: TestPostgres.supported)
    func databaseConnectionLimit(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            try await fixture.runSetupScript()
            let database = fixture.settings.governedDatabases[0]
            try await fixture.admin("ALTER DATABASE \(q(database)) CONNECTION LIMIT 0")
            let results = await fixture.validate()
            let connect = results[.databaseConnect]
            #expect(connect.failingObjects.count == 1, "\(connect)")
            let object = connect.failingObjects.first ?? ""
            #expect(object.hasPrefix(q(database)), "\(object)")
            #expect(object.contains("SQLSTATE 53300: too many connections for database"), "\(object)")
            #expect(object.contains("CONNECTION LIMIT is 0"), "\(object)")
            #expect(connect.remediationSQL?.contains("ALTER DATABASE \(q(database)) CONNECTION LIMIT -1;") == true, "\(connect.remediationSQL ?? "")")
            expectNotObserved(database, in: results)
            let again = try await fixture.expectRemediationFixes(.databaseConnect, in: results)
            expectAllPassed(again)
        }
    }

    @Test("A database with ALLOW_CONNECTIONS false fails database_connect (55000); ALTER DATABASE … ALLOW_CONNECTIONS true fixes it", arguments: TestPostgres.supported)
    func databaseClosed(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            try await fixture.runSetupScript()
            let database = fixture.settings.governedDatabases[0]
            try await fixture.admin("ALTER DATABASE \(q(database)) ALLOW_CONNECTIONS false")
            let results = await fixture.validate()
            let connect = results[.databaseConnect]
            #expect(connect.failingObjects.count == 1, "\(connect)")
            let object = connect.failingObjects.first ?? ""
            #expect(object.hasPrefix(q(database)), "\(object)")
            #expect(object.contains("SQLSTATE 55000:") && object.contains("is not currently accepting connections"), "\(object)")
            #expect(connect.remediationSQL?.contains("ALTER DATABASE \(q(database)) ALLOW_CONNECTIONS true;") == true, "\(connect.remediationSQL ?? "")")
            expectNotObserved(database, in: results)
            let again = try await fixture.expectRemediationFixes(.databaseConnect, in: results)
            expectAllPassed(again)
        }
    }

    @Test("A role at its CONNECTION LIMIT (1: the validation's own session) is refused each governed database; ALTER ROLE … CONNECTION LIMIT -1 fixes it", arguments: TestPostgres.supported)
    func roleConnectionLimitReached(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            try await fixture.runSetupScript()
            let database = fixture.settings.governedDatabases[0]
            // The login session to the state database stays open while the governed databases are inspected.
            try await fixture.admin("ALTER ROLE \(q(fixture.role)) CONNECTION LIMIT 1")
            let results = await fixture.validate()
            #expect(results[.login].status == .passed, "\(results.dump)")
            let connect = results[.databaseConnect]
            let object = connect.failingObjects.first ?? ""
            #expect(object.hasPrefix(q(database)), "\(object)")
            #expect(object.contains("SQLSTATE 53300: too many connections for role"), "\(object)")
            #expect(object.contains("the role's CONNECTION LIMIT is 1"), "\(object)")
            #expect(connect.remediationSQL?.contains("ALTER ROLE \(q(fixture.role)) CONNECTION LIMIT -1;") == true, "\(connect.remediationSQL ?? "")")
            expectNotObserved(database, in: results)
            let again = try await fixture.expectRemediationFixes(.databaseConnect, in: results)
            expectAllPassed(again)
        }
    }

    @Test("A role with CONNECTION LIMIT 0 cannot log in at all: login fails (53300) saying so; its remediation lets it log in", arguments: TestPostgres.supported)
    func roleConnectionLimitZero(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            try await fixture.runSetupScript()
            try await fixture.admin("ALTER ROLE \(q(fixture.role)) CONNECTION LIMIT 0")
            let results = await fixture.validate()
            let login = results[.login]
            #expect(login.status == .failed)
            #expect(login.message.contains("has reached its CONNECTION LIMIT"), "\(login.message)")
            #expect(login.message.contains("SQLSTATE 53300: too many connections for role"), "\(login.message)")
            expectSkipped(after: .login, in: results)
            try await fixture.runRemediation(of: login)
            expectAllPassed(await fixture.validate())
        }
    }

    @Test("Beside a readable database, a refused one is said once per later check, with its reason, and not counted", arguments: TestPostgres.supported)
    func refusedBesideReadable(server: TestPostgres) async throws {
        try await withValidationFixture(server, governed: ["open", "full"]) { fixture in
            try await fixture.runSetupScript()
            let full = fixture.settings.governedDatabases[1]
            try await fixture.admin("ALTER DATABASE \(q(full)) CONNECTION LIMIT 0")
            let results = await fixture.validate()
            #expect(results[.databaseConnect].failingObjectCount == 1)
            for check in [ValidationCheck.schemaUsage, .tablePrivileges, .alterTable] {
                let result = results[check]
                // The readable database passes; the refused one is neither a failing object nor counted.
                #expect(result.status == .passed, "\(result)")
                #expect(result.failingObjectCount == 0 && result.failingObjects.isEmpty, "\(result)")
                // Said once (the server's words name the database again).
                #expect(result.message.components(separatedBy: "not checked, see database_connect: \(q(full)) (").count == 2, "\(result.message)")
                #expect(result.message.contains("too many connections for database"), "\(result.message)")
                #expect(!result.message.contains("could not be read") && !result.message.contains("0 of 0"), "\(result.message)")
            }
        }
    }
}

/// The checks after database_connect, with `database` the only governed
/// one: SKIPPED because of database_connect, naming it once with the
/// reason, no failing objects, and no "0 of 0".
private func expectNotObserved(_ database: String, in results: [CheckResult], sourceLocation: SourceLocation = #_sourceLocation) {
    // database_connect_grant reads pg_database from the login session: it sees the database all the same.
    for result in results.after(.databaseConnect) where result.name != ValidationCheck.databaseConnectGrant.rawValue {
        #expect(result.status == .skipped, "\(result.name): \(result.message)", sourceLocation: sourceLocation)
        #expect(result.message.contains("database_connect"), "\(result.message)", sourceLocation: sourceLocation)
        #expect(result.message.components(separatedBy: "not checked, see database_connect: \(q(database)) (").count == 2, "said once: \(result.message)", sourceLocation: sourceLocation)
        #expect(result.failingObjectCount == 0, "\(result)", sourceLocation: sourceLocation)
        #expect(!result.message.contains("0 of 0") && !result.message.contains("could not be read"), "\(result.message)", sourceLocation: sourceLocation)
    }
}

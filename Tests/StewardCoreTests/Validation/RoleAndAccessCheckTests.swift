import PostgresTestSupport
import StewardCore
import StewardPostgres
import StewardStore
import Testing

@Suite("Validation: create_role, database_connect, schema_usage on real servers")
struct RoleAndAccessCheckTests {
    @Test("A role without CREATEROLE fails; ALTER ROLE … CREATEROLE fixes it, with the ADMIN OPTION caveat", arguments: TestPostgres.supported)
    func noCreateRole(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            try await fixture.runSetupScript()
            try await fixture.admin("ALTER ROLE \(q(fixture.role)) NOCREATEROLE")
            let results = await fixture.validate()
            #expect(results[.createRole].failingObjects == [q(fixture.role)])
            #expect(results[.createRole].remediationSQL?.contains("ALTER ROLE \(q(fixture.role)) CREATEROLE;") == true)
            let again = try await fixture.expectRemediationFixes(.createRole, in: results)
            #expect(again[.createRole].message.contains("ADMIN OPTION"), "\(again[.createRole].message)")
        }
    }

    @Test("CONNECT revoked from PUBLIC on a fresh governed database fails database_connect, listing only it")
    func connectMissing() async throws {
        try await withValidationFixture(.pg17) { fixture in
            try await fixture.runSetupScript()
            let fresh = fixture.name("fresh")
            try await fixture.admin("CREATE DATABASE \(q(fresh))", "REVOKE CONNECT ON DATABASE \(q(fresh)) FROM PUBLIC")
            fixture.settings.governedDatabases.append(fresh)
            let results = await fixture.validate()
            let connect = results[.databaseConnect]
            #expect(connect.failingObjectCount == 1 && connect.failingObjects == ["\(q(fresh)) (no CONNECT privilege)"], "\(connect)")
            // The other governed database is still inspected; the fresh one is named as not checked.
            #expect(results[.schemaUsage].status == .passed && results[.schemaUsage].message.contains("not checked"))
            let again = try await fixture.expectRemediationFixes(.databaseConnect, in: results)
            // The setup script never ran for the fresh database: its schema's grant option is missing.
            #expect(again[.databaseConnectGrant].status == .passed, "database_connect's fix grants CONNECT WITH GRANT OPTION")
            expectAllPassed(try await fixture.expectRemediationFixes(.schemaUsageGrant, in: again))
        }
    }

    @Test("A governed database that does not exist fails database_connect, listed as missing")
    func governedDatabaseMissing() async throws {
        try await withValidationFixture(.pg16) { fixture in
            try await fixture.runSetupScript()
            let missing = fixture.name("never created")
            fixture.settings.governedDatabases.append(missing)
            let results = await fixture.validate()
            let connect = results[.databaseConnect]
            #expect(connect.status == .failed)
            #expect(connect.failingObjects == ["\(q(missing)) (does not exist)"])
            #expect(connect.message.contains("missing: 1"), "\(connect.message)")
            #expect(connect.remediationSQL == nil, "nothing to grant: the database must be created or removed from the connection")
        }
    }

    @Test("A schema without USAGE fails schema_usage, listed; GRANT USAGE fixes it", arguments: TestPostgres.supported)
    func usageMissing(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            try await fixture.runSetupScript()
            let database = fixture.settings.governedDatabases[0]
            let schema = "late \"schema\" \(fixture.prefix)"
            // The administrator's new schema grants USAGE by the default privileges the script set: taken back.
            try await fixture.admin(in: database, "CREATE SCHEMA \(q(schema))", "REVOKE ALL ON SCHEMA \(q(schema)) FROM \(q(fixture.role)) CASCADE")
            let results = await fixture.validate()
            let usage = results[.schemaUsage]
            #expect(usage.failingObjectCount == 1 && usage.failingObjects == ["\(q(database)).\(q(schema))"], "\(usage)")
            #expect(results[.schemaUsageGrant].failingObjects == ["\(q(database)).\(q(schema))"], "\(results.dump)")
            let again = try await fixture.expectRemediationFixes(.schemaUsage, in: results)
            expectAllPassed(try await fixture.expectRemediationFixes(.schemaUsageGrant, in: again))
        }
    }
}

import PostgresTestSupport
import StewardModel
import StewardPostgres
import Testing

@Suite("Catalog queries on real PostgreSQL", .timeLimit(.minutes(2)))
struct CatalogTests {
    @Test("Role attributes, databases and schemas", arguments: TestPostgres.supported)
    func basics(server: TestPostgres) async throws {
        let role = uniqueName("probe")
        let schema = uniqueName("s")
        let facts = try await withAdmin(server) { connection in
            try connection.run("CREATE ROLE \(role) LOGIN")
            try connection.run("CREATE SCHEMA \(schema)")
            defer {
                _ = try? connection.run("DROP SCHEMA \(schema)")
                _ = try? connection.run("DROP ROLE \(role)")
            }
            let deadline = Deadline.after(milliseconds: 10_000)
            return (
                try PostgresCatalog.roleAttributes(role, on: connection, deadline: deadline),
                try PostgresCatalog.roleAttributes(try server.adminOverTCP().user, on: connection, deadline: deadline),
                try PostgresCatalog.roleAttributes(uniqueName("nobody"), on: connection, deadline: deadline),
                try PostgresCatalog.databases(on: connection, deadline: deadline),
                try PostgresCatalog.schemas(on: connection, deadline: deadline))
        }
        #expect(facts.0 == .init(name: role, isSuperuser: false, canCreateRoles: false, canLogin: true))
        #expect(facts.1?.isSuperuser == true)
        #expect(facts.2 == nil)
        #expect(facts.3.contains("postgres") && !facts.3.contains("template0") && !facts.3.contains("template1"))
        #expect(facts.4.contains(schema) && facts.4.contains("public"))
        #expect(!facts.4.contains("pg_catalog") && !facts.4.contains("information_schema"))
    }

    @Test("CONNECT per database and USAGE per schema, for a role", arguments: TestPostgres.supported)
    func access(server: TestPostgres) async throws {
        let role = uniqueName("probe")
        let open = uniqueName("open")
        let closed = uniqueName("closed")
        let result = try await withAdmin(server) { connection in
            try connection.run("CREATE ROLE \(role) LOGIN")
            try connection.run("CREATE SCHEMA \(open)")
            try connection.run("CREATE SCHEMA \(closed)")
            try connection.run("GRANT USAGE ON SCHEMA \(open) TO \(role)")
            try connection.run("REVOKE CONNECT ON DATABASE postgres FROM PUBLIC")
            defer {
                _ = try? connection.run("GRANT CONNECT ON DATABASE postgres TO PUBLIC")
                _ = try? connection.run("DROP SCHEMA \(open)")
                _ = try? connection.run("DROP SCHEMA \(closed)")
                _ = try? connection.run("DROP ROLE \(role)")
            }
            let deadline = Deadline.after(milliseconds: 10_000)
            return (
                try PostgresCatalog.databaseAccess(of: role, on: connection, deadline: deadline),
                try PostgresCatalog.schemaAccess(of: role, on: connection, deadline: deadline))
        }
        #expect(result.0.first { $0.name == "postgres" }?.canConnect == false)
        #expect(result.1.first { $0.name == open }?.hasUsage == true)
        #expect(result.1.first { $0.name == closed }?.hasUsage == false)
    }

    @Test("Per table: ownership, membership in the owner, and each privilege with grant option", arguments: TestPostgres.supported)
    func tablePrivileges(server: TestPostgres) async throws {
        let role = uniqueName("probe")
        let owner = uniqueName("owner")
        let schema = uniqueName("s")
        let tables = try await withAdmin(server) { connection in
            try connection.run("CREATE ROLE \(role) LOGIN")
            try connection.run("CREATE ROLE \(owner) NOLOGIN")
            try connection.run("GRANT \(owner) TO \(role)")
            try connection.run("CREATE SCHEMA \(schema)")
            defer {
                _ = try? connection.run("DROP SCHEMA \(schema) CASCADE")
                _ = try? connection.run("DROP ROLE \(role)")
                _ = try? connection.run("DROP ROLE \(owner)")
            }
            try connection.run("CREATE TABLE \(schema).all_granted (id int)")
            try connection.run("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON \(schema).all_granted TO \(role) WITH GRANT OPTION")
            try connection.run("CREATE TABLE \(schema).no_truncate (id int)")
            try connection.run("GRANT SELECT, INSERT, UPDATE, DELETE ON \(schema).no_truncate TO \(role) WITH GRANT OPTION")
            try connection.run("GRANT TRUNCATE ON \(schema).no_truncate TO \(role)")  // without grant option
            try connection.run("CREATE TABLE \(schema).owned (id int)")
            try connection.run("ALTER TABLE \(schema).owned OWNER TO \(role)")
            try connection.run("CREATE TABLE \(schema).via_membership (id int)")
            try connection.run("ALTER TABLE \(schema).via_membership OWNER TO \(owner)")
            let all = try PostgresCatalog.tablePrivileges(of: role, on: connection, deadline: .after(milliseconds: 10_000))
            return Dictionary(uniqueKeysWithValues: all.filter { $0.schema == schema }.map { ($0.name, $0) })
        }
        #expect(tables.count == 4)
        let granted = try #require(tables["all_granted"])
        #expect(granted.hasAllPrivilegesWithGrantOption && !granted.canAlter && !granted.ownedByRole)
        let noTruncate = try #require(tables["no_truncate"])
        #expect(!noTruncate.hasAllPrivilegesWithGrantOption && !noTruncate.truncateWithGrantOption && noTruncate.selectWithGrantOption)
        let owned = try #require(tables["owned"])
        #expect(owned.ownedByRole && owned.canAlter && owned.hasAllPrivilegesWithGrantOption && owned.owner == role)
        let viaMembership = try #require(tables["via_membership"])
        #expect(viaMembership.roleIsMemberOfOwner && viaMembership.canAlter && !viaMembership.ownedByRole && viaMembership.owner == owner)
    }
}

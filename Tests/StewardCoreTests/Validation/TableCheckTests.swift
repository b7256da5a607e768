import PostgresTestSupport
import StewardCore
import StewardPostgres
import StewardStore
import Testing

@Suite("Validation: table_privileges and alter_table on real servers")
struct TableCheckTests {
    @Test("One table of 1,000 lacking TRUNCATE WITH GRANT OPTION is counted exactly once and listed", arguments: TestPostgres.supported)
    func oneTableOfAThousand(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let database = fixture.settings.governedDatabases[0]
            let owner = fixture.name("owner")
            let schema = "sch'ema \(fixture.prefix)"
            try await fixture.admin("CREATE ROLE \(q(owner)) NOLOGIN")
            try await fixture.admin(
                in: database,
                "CREATE SCHEMA \(q(schema)) AUTHORIZATION \(q(owner))",
                // Created by the owner itself, so that only the setup script's grants apply.
                "SET ROLE \(q(owner))",
                """
                DO $$ BEGIN
                  FOR i IN 1..1000 LOOP
                    EXECUTE pg_catalog.format('CREATE TABLE %I.%I (id int)', \(SQLQuoting.literal(schema)), 't' || pg_catalog.lpad(i::text, 4, '0'));
                  END LOOP;
                END $$
                """,
                "RESET ROLE")
            try await fixture.runSetupScript()
            // Without membership in the owner, only the direct grants count.
            try await fixture.admin(
                in: database,
                "REVOKE \(q(owner)) FROM \(q(fixture.role))",
                "REVOKE GRANT OPTION FOR TRUNCATE ON \(SQLQuoting.qualified(schema, "t0500")) FROM \(q(fixture.role))")
            let results = await fixture.validate()
            let privileges = results[.tablePrivileges]
            #expect(privileges.failingObjectCount == 1)
            #expect(privileges.failingObjects == ["\(q(database)).\(q(schema)).\"t0500\" (table: TRUNCATE)"])
            #expect(privileges.message.hasPrefix("1 table of 1000 tables"), "\(privileges.message)")
            let alter = results[.alterTable]
            #expect(alter.failingObjectCount == 1000 && alter.failingObjects.count == 20)
            #expect(alter.failingObjects.first == "\(q(database)).\(q(schema)).\"t0001\" (owned by \(q(owner)))")
            let again = try await fixture.expectRemediationFixes(.tablePrivileges, in: results)
            // Membership in the owner is alter_table's remediation.
            #expect(alter.remediationSQL?.contains("GRANT \(q(owner)) TO \(q(fixture.role)) WITH INHERIT TRUE;") == true)
            let fixed = try await fixture.expectRemediationFixes(.alterTable, in: again)
            expectAllPassed(fixed)
        }
    }

    @Test("Tables owned by someone else fail alter_table: membership for an ordinary owner, ownership for a superuser's", arguments: TestPostgres.supported)
    func ownedBySomeoneElse(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            try await fixture.runSetupScript()
            let database = fixture.settings.governedDatabases[0]
            let other = fixture.name("other")
            try await fixture.admin("CREATE ROLE \(q(other)) NOLOGIN")
            try await fixture.admin(
                in: database,
                "CREATE TABLE public.\"theirs\" (id int)", "ALTER TABLE public.\"theirs\" OWNER TO \(q(other))",
                "CREATE TABLE public.\"superuser's\" (id int)")
            let admin = try server.adminOverTCP().user
            let results = await fixture.validate()
            let alter = results[.alterTable]
            #expect(alter.failingObjectCount == 2)
            #expect(Set(alter.failingObjects) == [
                "\(q(database)).\"public\".\"superuser's\" (owned by \(q(admin)))",
                "\(q(database)).\"public\".\"theirs\" (owned by \(q(other)))",
            ])
            let sql = alter.remediationSQL ?? ""
            #expect(sql.contains("GRANT \(q(other)) TO \(q(fixture.role)) WITH INHERIT TRUE;"))
            #expect(sql.contains("ALTER TABLE \"public\".\"superuser's\" OWNER TO \(q(fixture.role));"))
            #expect(!sql.contains("GRANT \(q(admin))"), "never membership in a superuser")
            let again = try await fixture.expectRemediationFixes(.alterTable, in: results)
            expectAllPassed(again)
        }
    }

    @Test("Ownership through membership in the owning role passes, with no privileges granted")
    func ownershipThroughMembership() async throws {
        try await withValidationFixture(.pg17) { fixture in
            try await fixture.runSetupScript()
            let database = fixture.settings.governedDatabases[0]
            let owner = fixture.name("team")
            let schema = fixture.name("team schema")
            try await fixture.admin("CREATE ROLE \(q(owner)) NOLOGIN", "GRANT \(q(owner)) TO \(q(fixture.role))")
            try await fixture.admin(
                in: database,
                "CREATE SCHEMA \(q(schema)) AUTHORIZATION \(q(owner))",
                "SET ROLE \(q(owner))", "CREATE TABLE \(SQLQuoting.qualified(schema, "t")) (id int)", "RESET ROLE")
            let results = await fixture.validate()
            expectAllPassed(results)
        }
    }

    @Test("A superuser passes create_role through alter_table with no grants at all", arguments: TestPostgres.supported)
    func superuserPasses(server: TestPostgres) async throws {
        try await withValidationFixture(server, roleAttributes: "SUPERUSER") { fixture in
            let database = fixture.settings.governedDatabases[0]
            let owner = fixture.name("owner")
            try await fixture.admin("CREATE ROLE \(q(owner)) NOLOGIN")
            try await fixture.admin(
                in: database,
                "CREATE SCHEMA private AUTHORIZATION \(q(owner))", "CREATE TABLE private.t (id int)",
                "ALTER TABLE private.t OWNER TO \(q(owner))", "REVOKE ALL ON private.t FROM PUBLIC")
            // Only the state database and marker: nothing granted on the governed database.
            var stateOnly = fixture.settings
            stateOnly.governedDatabases = []
            try await fixture.runSetupScript(stateOnly)
            let results = await fixture.validate()
            expectAllPassed(results)
            #expect(results[.createRole].message.contains("superuser"))
            #expect(results[.alterTable].message.contains("superuser"))
        }
    }
}

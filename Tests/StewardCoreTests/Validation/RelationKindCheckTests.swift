import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

/// What each kind of relation needs (docs/connections.md): tables the five
/// privileges WITH GRANT OPTION and ALTER; views, materialized views and
/// foreign tables SELECT WITH GRANT OPTION alone. And what enforcement
/// needs of schemas and databases: USAGE and CONNECT WITH GRANT OPTION.
@Suite("Validation: per-kind requirements and grant options on real servers", .timeLimit(.minutes(3)))
struct RelationKindCheckTests {
    /// In the fixture's governed database, as the administrator: a view, a
    /// materialized view and a foreign table (on a wrapper without handler:
    /// created, never queried), owned by the administrator, and the grant
    /// options on the database and `public` that enforcement needs.
    static func readOnlyKinds(_ fixture: ValidationFixture, _ more: [String] = []) async throws {
        let database = fixture.settings.governedDatabases[0]
        let wrapper = q(fixture.name("fdw"))
        let server = q(fixture.name("srv"))
        let statements = [
            "CREATE VIEW public.v AS SELECT 1 AS x",
            "CREATE MATERIALIZED VIEW public.m AS SELECT 1 AS x",
            "CREATE FOREIGN DATA WRAPPER \(wrapper)",
            "CREATE SERVER \(server) FOREIGN DATA WRAPPER \(wrapper)",
            "CREATE FOREIGN TABLE public.f (x int) SERVER \(server)",
            "GRANT USAGE ON SCHEMA public TO \(q(fixture.role)) WITH GRANT OPTION",
            "GRANT CONNECT ON DATABASE \(q(database)) TO \(q(fixture.role)) WITH GRANT OPTION",
        ] + more
        try await withAdmin(fixture.server, database: database) { admin in
            for statement in statements { try admin.run(statement) }
        }
    }

    /// The checks a governed database's relations decide.
    static let relationChecks: [ValidationCheck] = [.tablePrivileges, .alterTable, .schemaUsage, .schemaUsageGrant, .databaseConnectGrant]

    @Test("A view, a materialized view and a foreign table with only SELECT WITH GRANT OPTION pass, counted by kind", arguments: TestPostgres.supported)
    func readOnlyKindsNeedSelectOnly(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            try await Self.readOnlyKinds(fixture, ["GRANT SELECT ON public.v, public.m, public.f TO \(q(fixture.role)) WITH GRANT OPTION"])
            let results = await fixture.validate()
            for check in Self.relationChecks {
                #expect(results[check].status == .passed, "\(check.rawValue)\n\(results.dump)")
            }
            #expect(results[.tablePrivileges].message.contains("1 view, 1 materialized view and 1 foreign table"), "\(results[.tablePrivileges].message)")
            // Row security cannot be enabled on them: alter_table has nothing to judge.
            #expect(results[.alterTable].message.contains("there are none"), "\(results[.alterTable].message)")
        }
    }

    @Test("A table missing TRUNCATE WITH GRANT OPTION fails naming it; tables and views are counted apart; a view's fix is a GRANT, never a change of owner", arguments: TestPostgres.supported)
    func missingTruncateAndAView(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let role = q(fixture.role)
            try await Self.readOnlyKinds(fixture, [
                "GRANT SELECT ON public.m, public.f TO \(role) WITH GRANT OPTION",
                "CREATE TABLE public.t (id int)",
                "CREATE TABLE public.u (id int)",
                "ALTER TABLE public.t OWNER TO \(role)",
                "GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON public.u TO \(role) WITH GRANT OPTION",
                "REVOKE GRANT OPTION FOR TRUNCATE ON public.u FROM \(role)",
            ])
            let database = fixture.settings.governedDatabases[0]
            let results = await fixture.validate()
            let privileges = results[.tablePrivileges]
            #expect(privileges.status == .failed)
            #expect(privileges.failingObjectCount == 2)
            #expect(privileges.failingObjects == [
                "\(q(database)).\"public\".\"u\" (table: TRUNCATE)",
                "\(q(database)).\"public\".\"v\" (view: SELECT)",
            ], "\(privileges.failingObjects)")
            #expect(privileges.message.hasPrefix("1 table and 1 view of 2 tables, 1 view, 1 materialized view and 1 foreign table lack"), "\(privileges.message)")
            let sql = privileges.remediationSQL ?? ""
            #expect(sql.contains("GRANT TRUNCATE ON TABLE \"public\".\"u\" TO \(role) WITH GRANT OPTION;"), "\(sql)")
            #expect(sql.contains("GRANT SELECT ON TABLE \"public\".\"v\" TO \(role) WITH GRANT OPTION;"), "\(sql)")
            // u is the administrator's (a superuser's): alter_table changes its owner, and judges no view.
            let alter = results[.alterTable]
            #expect(alter.failingObjects == ["\(q(database)).\"public\".\"u\" (owned by \(q(try server.adminOverSocket().user)))"], "\(alter.failingObjects)")
            for result in results {
                let sql = result.remediationSQL ?? ""
                for owned in ["\"public\".\"v\" OWNER", "\"public\".\"m\" OWNER", "\"public\".\"f\" OWNER", "ALTER VIEW", "ALTER MATERIALIZED VIEW", "ALTER FOREIGN TABLE"] {
                    #expect(!sql.contains(owned), "\(result.name): \(sql)")
                }
            }
            let again = try await fixture.expectRemediationFixes(.tablePrivileges, in: results)
            let fixed = try await fixture.expectRemediationFixes(.alterTable, in: again)
            for check in Self.relationChecks { #expect(fixed[check].status == .passed, "\(check.rawValue)\n\(fixed.dump)") }
            // The view is still the administrator's.
            let owner = try await withAdmin(fixture.server, database: database) { admin in
                try admin.run("SELECT pg_catalog.pg_get_userbyid(relowner) AS owner FROM pg_catalog.pg_class WHERE oid = 'public.v'::regclass")
                    .rows.first?.string("owner")
            }
            #expect(owner == (try server.adminOverSocket().user))
        }
    }

    @Test("Many views lacking SELECT: the schema-wide fix grants each kind its own privileges", arguments: TestPostgres.supported)
    func manyViews(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            try await Self.readOnlyKinds(fixture, [
                """
                DO $$ BEGIN
                  FOR i IN 1..30 LOOP
                    EXECUTE pg_catalog.format('CREATE VIEW public.%I AS SELECT 1 AS x', 'w' || i);
                  END LOOP;
                END $$
                """,
            ])
            let results = await fixture.validate()
            #expect(results[.tablePrivileges].failingObjectCount == 33)
            #expect(results[.tablePrivileges].message.hasPrefix("31 views, 1 materialized view and 1 foreign table of"), "\(results[.tablePrivileges].message)")
            let fixed = try await fixture.expectRemediationFixes(.tablePrivileges, in: results)
            // SELECT only: the schema-wide fix gave no view INSERT.
            let inserts = try await withAdmin(fixture.server, database: fixture.settings.governedDatabases[0]) { [role = fixture.role] admin in
                try admin.run(
                    "SELECT count(*) AS n FROM pg_catalog.pg_class WHERE relkind = 'v' AND relnamespace = 'public'::regnamespace AND pg_catalog.has_table_privilege($1, oid, 'INSERT')",
                    [role] as [String?]
                ).rows.first?.int("n")
            }
            #expect(inserts == 0)
            #expect(fixed[.alterTable].status == .passed)
        }
    }

    @Test("USAGE and CONNECT without GRANT OPTION fail the grant checks, naming the schema and database; the remediation fixes them; ownership passes", arguments: TestPostgres.supported)
    func grantOptions(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let role = q(fixture.role)
            let database = fixture.settings.governedDatabases[0]
            let plain = "plain \(fixture.prefix)"
            let owned = "owned \(fixture.prefix)"
            try await fixture.admin(in: database,
                "CREATE SCHEMA \(q(plain))",
                "GRANT USAGE ON SCHEMA \(q(plain)) TO \(role)",
                "CREATE SCHEMA \(q(owned)) AUTHORIZATION \(role)",
                "GRANT USAGE ON SCHEMA public TO \(role) WITH GRANT OPTION")
            let results = await fixture.validate()
            #expect(results[.schemaUsage].status == .passed, "\(results.dump)")
            #expect(results[.databaseConnect].status == .passed, "\(results.dump)")
            let schemas = results[.schemaUsageGrant]
            #expect(schemas.status == .failed)
            #expect(schemas.failingObjects == ["\(q(database)).\(q(plain))"], "\(schemas.failingObjects)")
            #expect(schemas.message.contains("1 of 3 schemas"), "\(schemas.message)")
            let databases = results[.databaseConnectGrant]
            #expect(databases.status == .failed)
            #expect(databases.failingObjects == [q(database)])
            #expect(databases.remediationSQL?.contains("GRANT CONNECT ON DATABASE \(q(database)) TO \(role) WITH GRANT OPTION;") == true)
            let again = try await fixture.expectRemediationFixes(.schemaUsageGrant, in: results)
            let fixed = try await fixture.expectRemediationFixes(.databaseConnectGrant, in: again)
            #expect(fixed[.schemaUsage].status == .passed)

            // Owning the database gives the grant option too.
            try await fixture.admin("REVOKE ALL ON DATABASE \(q(database)) FROM \(role)", "ALTER DATABASE \(q(database)) OWNER TO \(role)")
            #expect(await fixture.validate()[.databaseConnectGrant].status == .passed)
        }
    }

    @Test("The setup script, run by psql as a superuser, makes every check pass with every kind, partitions and other owners; views keep their owner", arguments: TestPostgres.supported)
    func setupScriptCoversEveryKind(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let other = fixture.name("other")
            try await fixture.admin("CREATE ROLE \(q(other)) NOLOGIN")
            try await Self.readOnlyKinds(fixture, [
                "REVOKE ALL ON SCHEMA public FROM \(q(fixture.role))",
                "REVOKE ALL ON DATABASE \(q(fixture.settings.governedDatabases[0])) FROM \(q(fixture.role))",
                "CREATE SCHEMA theirs AUTHORIZATION \(q(other))",
                "CREATE TABLE theirs.t (id int) PARTITION BY RANGE (id)",
                "CREATE TABLE theirs.t1 PARTITION OF theirs.t FOR VALUES FROM (0) TO (10)",
                "ALTER TABLE theirs.t OWNER TO \(q(other))",
                "CREATE VIEW theirs.tv AS SELECT 1 AS x",
                "ALTER VIEW theirs.tv OWNER TO \(q(other))",
                "CREATE TABLE public.mine (id int)",
            ])
            try await fixture.runSetupScript()
            try await fixture.runSetupScript()
            expectAllPassed(await fixture.validate())
            let owners = try await withAdmin(fixture.server, database: fixture.settings.governedDatabases[0]) { admin in
                try admin.run(
                    """
                    SELECT c.relname, pg_catalog.pg_get_userbyid(c.relowner) AS owner FROM pg_catalog.pg_class c
                    WHERE c.relnamespace IN ('public'::regnamespace, 'theirs'::regnamespace) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                    """
                ).rows.reduce(into: [String: String]()) { $0[try $1.string("relname")] = try $1.string("owner") }
            }
            let admin = try server.adminOverSocket().user
            #expect(owners["v"] == admin && owners["m"] == admin && owners["f"] == admin, "\(owners)")
            #expect(owners["tv"] == other && owners["t"] == other, "\(owners)")
            #expect(owners["mine"] == fixture.role, "a superuser's table changes owner: \(owners)")
        }
    }

    @Test("After setup, a new table by a covered owner is governable with no manual step; a superuser's new table lacks only ALTER", arguments: TestPostgres.supported)
    func defaultPrivilegesCoverNewTables(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let owner = fixture.name("owner")
            let database = fixture.settings.governedDatabases[0]
            try await fixture.admin("CREATE ROLE \(q(owner)) NOLOGIN")
            try await fixture.admin("GRANT CREATE ON DATABASE \(q(database)) TO \(q(owner))")
            try await fixture.admin(in: database,
                "CREATE SCHEMA app AUTHORIZATION \(q(owner))",
                "CREATE TABLE app.before (id int)", "ALTER TABLE app.before OWNER TO \(q(owner))")
            try await fixture.runSetupScript()
            expectAllPassed(await fixture.validate())
            // The owner creates a table, a view and a schema of its own: nothing more is run.
            try await fixture.admin(in: database,
                "SET ROLE \(q(owner))",
                "CREATE TABLE app.later (id int)", "CREATE VIEW app.later_view AS SELECT 1 AS x",
                "CREATE SCHEMA later_schema", "CREATE TABLE later_schema.t (id int)",
                "RESET ROLE")
            expectAllPassed(await fixture.validate())
            // The administrator (a superuser, whose default privileges the script also set).
            try await fixture.admin(in: database, "CREATE TABLE public.by_superuser (id int)")
            let results = await fixture.validate()
            #expect(results[.tablePrivileges].status == .passed, "\(results.dump)")
            #expect(results[.alterTable].status == .failed)
            #expect(results[.alterTable].failingObjects.first?.hasPrefix("\(q(database)).\"public\".\"by_superuser\"") == true)
        }
    }

    @Test("After setup, a role that owned nothing creates a table, a view and a schema: the event trigger makes them governable with no manual step, and never fails DDL", arguments: TestPostgres.supported)
    func eventTriggerCoversNewOwners(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let database = fixture.settings.governedDatabases[0]
            try await fixture.runSetupScript()
            expectAllPassed(await fixture.validate())
            let newcomer = fixture.name("newcomer")
            let looped = fixture.name("looped")
            try await fixture.admin(
                "CREATE ROLE \(q(newcomer)) NOLOGIN", "GRANT CREATE ON DATABASE \(q(database)) TO \(q(newcomer))",
                // A member of Steward's role: making Steward a member of it would be a cycle, which the trigger must survive.
                "CREATE ROLE \(q(looped)) NOLOGIN", "GRANT \(q(fixture.role)) TO \(q(looped))",
                "GRANT CREATE ON DATABASE \(q(database)) TO \(q(looped))")
            try await fixture.admin(in: database,
                "SET ROLE \(q(newcomer))",
                "CREATE SCHEMA fresh", "CREATE TABLE fresh.t (id int)", "CREATE VIEW fresh.v AS SELECT 1 AS x",
                "CREATE TABLE fresh.made AS SELECT 1 AS x",
                "RESET ROLE")
            expectAllPassed(await fixture.validate())
            // Its DDL succeeds even where the trigger cannot do its work; the validation then names what is missing.
            try await fixture.admin(in: database,
                "SET ROLE \(q(looped))", "CREATE SCHEMA loop", "CREATE TABLE loop.t (id int)", "RESET ROLE")
            let results = await fixture.validate()
            #expect(results[.alterTable].status == .failed)
            #expect(results[.alterTable].failingObjects == ["\(q(database)).\"loop\".\"t\" (owned by \(q(looped)))"], "\(results.dump)")
            #expect(results[.tablePrivileges].status == .passed, "\(results.dump)")
        }
    }
}

import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import Testing

/// Enforcement on real PostgreSQL 16 and 17, proved by logging in as the
/// subscribers.
@Suite(.serialized) struct LiveEnforcementTests {
    @Test("READ lets a subscriber SELECT and nothing else; WRITE lets INSERT, UPDATE, DELETE and TRUNCATE work; a view gets SELECT only; a second run changes nothing; dropping the access takes it away", arguments: TestPostgres.supported)
    func readWriteAndRemoval(server: TestPostgres) async throws {
        try await withEnforcementFixture(server) { f in
            try await f.createSchema(
                "sales", in: "gov",
                "CREATE TABLE %s.orders (id integer)", "CREATE VIEW %s.orders_view AS SELECT id FROM %s.orders",
                "CREATE TABLE %s.secret (id integer)", "INSERT INTO %s.orders VALUES (1)")
            let alice = try await f.subscriber("alice")
            let bob = try await f.subscriber("bob")
            let carol = try await f.subscriber("carol")
            let orders = f.relation("gov", "sales", "orders")
            let view = f.relation("gov", "sales", "orders_view")
            let secret = f.relation("gov", "sales", "secret")
            let governed = [orders, view, secret]
            let desired = [
                f.access(alice, orders, .read), f.access(alice, view, .read),
                f.access(bob, orders, .write, policy: "writers"), f.access(bob, view, .write, policy: "writers"),
            ]

            let first = try await f.enforce(desired, governed: governed)
            #expect(first.databases.map(\.applied) == [true])
            #expect(first.databases.allSatisfy { $0.failure == nil })
            #expect(first.missingRoles.isEmpty)
            #expect(first.sql.contains(#"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLE "sales"."orders" TO \#(q(bob))"#))
            #expect(first.sql.contains(#"GRANT SELECT ON TABLE "sales"."orders_view" TO \#(q(alice)), \#(q(bob))"#))

            // READ: SELECT, and nothing else.
            #expect(await f.tryAs(alice, in: "gov", "SELECT * FROM sales.orders") == nil)
            #expect(await f.tryAs(alice, in: "gov", "SELECT * FROM sales.orders_view") == nil)
            #expect(await f.tryAs(alice, in: "gov", "INSERT INTO sales.orders VALUES (2)")?.sqlState == "42501")
            #expect(await f.tryAs(alice, in: "gov", "SELECT * FROM sales.secret")?.sqlState == "42501")
            // WRITE on a table: all five; on a view: SELECT only.
            for statement in [
                "INSERT INTO sales.orders VALUES (3)", "UPDATE sales.orders SET id = 4 WHERE id = 3",
                "DELETE FROM sales.orders WHERE id = 4", "TRUNCATE sales.orders", "SELECT * FROM sales.orders_view",
            ] {
                #expect(await f.tryAs(bob, in: "gov", statement) == nil, "\(statement)")
            }
            #expect(await f.tryAs(bob, in: "gov", "INSERT INTO sales.orders_view VALUES (5)")?.sqlState == "42501")
            // No policy: not even CONNECT.
            #expect(await f.tryAs(carol, in: "gov", "SELECT 1")?.isPermissionDenied == true)

            // No change: no statement, the server's grants as they were.
            let before = try await f.aclSnapshot()
            let recordBefore = try await f.recordedGrants()
            let second = try await f.enforce(desired, governed: governed)
            #expect(second.statements.isEmpty)
            #expect(second.drift.isEmpty)
            #expect(try await f.aclSnapshot() == before)
            #expect(try await f.recordedGrants() == recordBefore)

            // Alice's access goes; Bob's stays.
            let third = try await f.enforce(desired.filter { $0.role != alice }, governed: governed)
            #expect(third.statements.allSatisfy { $0.purpose == .revoke })
            #expect(third.drift.isEmpty)
            #expect(await f.tryAs(alice, in: "gov", "SELECT * FROM sales.orders")?.isPermissionDenied == true)
            #expect(await f.tryAs(bob, in: "gov", "SELECT * FROM sales.orders") == nil)

            // Everything goes: Steward's grants are all revoked, the connection role keeps its own.
            _ = try await f.enforce([], governed: governed)
            #expect(await f.tryAs(bob, in: "gov", "SELECT 1")?.isPermissionDenied == true)
            #expect(try await f.recordedGrants().isEmpty)
            let remaining = try await f.aclSnapshot().filter { $0.contains(bob) || $0.contains(alice) }
            #expect(remaining.isEmpty, "\(remaining)")
        }
    }

    @Test("A dry run returns exactly the SQL the real run then applies, and changes nothing, not even the record tables", arguments: TestPostgres.supported)
    func dryRun(server: TestPostgres) async throws {
        try await withEnforcementFixture(server, governed: ["one", "two"]) { f in
            try await f.createSchema("s", in: "one", "CREATE TABLE %s.t (id integer)")
            try await f.createSchema("s", in: "two", "CREATE MATERIALIZED VIEW %s.m AS SELECT 1 AS id")
            let alice = try await f.subscriber("alice")
            let governed = [f.relation("one", "s", "t"), f.relation("two", "s", "m")]
            let desired = governed.map { f.access(alice, $0, .write) }
            let before = try await f.aclSnapshot()

            let dry = try await f.enforce(desired, governed: governed, dryRun: true)
            #expect(dry.dryRun)
            #expect(dry.databases.allSatisfy { !$0.applied && $0.failure == nil })
            #expect(try await f.aclSnapshot() == before)
            let tables = try await withAdmin(server, database: f.settings.stateDatabase) { connection in
                try connection.run("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'steward'").rows[0].int("n")
            }
            #expect(tables == 0)
            #expect(await f.tryAs(alice, in: "one", "SELECT * FROM s.t")?.isPermissionDenied == true)

            let real = try await f.enforce(desired, governed: governed)
            #expect(real.sql == dry.sql)
            #expect(real.databases.map(\.database) == dry.databases.map(\.database))
            #expect(dry.sql == [
                #"GRANT CONNECT ON DATABASE \#(q(f.name("one"))) TO \#(q(alice))"#,
                #"GRANT USAGE ON SCHEMA "s" TO \#(q(alice))"#,
                #"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLE "s"."t" TO \#(q(alice))"#,
                #"GRANT CONNECT ON DATABASE \#(q(f.name("two"))) TO \#(q(alice))"#,
                #"GRANT USAGE ON SCHEMA "s" TO \#(q(alice))"#,
                #"GRANT SELECT ON TABLE "s"."m" TO \#(q(alice))"#,
            ])
            #expect(await f.tryAs(alice, in: "two", "SELECT * FROM s.m") == nil)
        }
    }

    @Test("Hostile names (quotes, dots, line breaks, backslashes) in schemas, tables and roles are granted exactly, and a second run changes nothing", arguments: TestPostgres.supported)
    func hostileNames(server: TestPostgres) async throws {
        try await withEnforcementFixture(server) { f in
            let schema = "s.\"q\\"
            let table = "t\n; DROP TABLE x; --\\"
            try await f.createSchema(schema, in: "gov", "CREATE TABLE %s.\(q(table)) (id integer)")
            let role = try await f.subscriber("r\"o'le.\\")
            let relation = f.relation("gov", schema, table)
            let first = try await f.enforce([f.access(role, relation, .read)], governed: [relation])
            #expect(first.databases.allSatisfy { $0.applied && $0.failure == nil }, "\(first.databases)")
            #expect(first.statements.allSatisfy { !$0.sql.contains("\n") })
            #expect(await f.tryAs(role, in: "gov", "SELECT * FROM \(SQLQuoting.qualified(schema, table))") == nil)
            let second = try await f.enforce([f.access(role, relation, .read)], governed: [relation])
            #expect(second.statements.isEmpty)
        }
    }

    @Test("A GRANT the connection role may not make (PostgreSQL only warns) is caught before commit: the database is left untouched and the failure names the statement", arguments: [TestPostgres.pg17])
    func grantThatDoesNotTake(server: TestPostgres) async throws {
        try await withEnforcementFixture(server) { f in
            try await f.createSchema("s", in: "gov", "CREATE TABLE %s.t (id integer)")
            try await f.admin(in: f.name("gov"), "REVOKE GRANT OPTION FOR USAGE ON SCHEMA s FROM \(q(f.role))")
            let alice = try await f.subscriber("alice")
            let relation = f.relation("gov", "s", "t")
            let before = try await f.aclSnapshot()
            let report = try await f.enforce([f.access(alice, relation, .read)], governed: [relation])
            let outcome = try #require(report.databases.first)
            #expect(!outcome.applied)
            let message = outcome.failure?.message ?? ""
            #expect(message.contains(#"GRANT USAGE ON SCHEMA "s" TO \#(q(alice))"#), "\(message)")
            #expect(message.contains("WITH GRANT OPTION"), "\(message)")
            #expect(try await f.aclSnapshot() == before)
            #expect(await f.tryAs(alice, in: "gov", "SELECT 1")?.isPermissionDenied == true)
        }
    }

    @Test("PUBLIC, PostgreSQL's own roles and the connection role are refused by name before anything is read", arguments: [TestPostgres.pg17])
    func refusedRoles(server: TestPostgres) async throws {
        try await withEnforcementFixture(server) { f in
            try await f.createSchema("s", in: "gov", "CREATE TABLE %s.t (id integer)")
            let relation = f.relation("gov", "s", "t")
            for (role, words) in [("public", "reserved by PostgreSQL"), ("pg_read_all_data", "starting with pg_ are reserved"), (f.role, "never changes its own privileges")] {
                do {
                    _ = try await f.enforce([f.access(role, relation, .read)], governed: [relation])
                    Issue.record("\(role) was not refused")
                } catch let error as DomainError {
                    #expect(error.code == .invalidArgument)
                    #expect(error.message.hasPrefix("desired[0].role: \(q(role))"), "\(error.message)")
                    #expect(error.message.contains(words), "\(error.message)")
                }
            }
        }
    }
}

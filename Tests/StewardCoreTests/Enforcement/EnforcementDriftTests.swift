import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import Testing

/// Drift: what others did to grants on governed relations, found and
/// handled by the next run.
@Suite(.serialized) struct EnforcementDriftTests {
    @Test("A DBA's REVOKE of a Steward grant is repaired and reported; a grant by someone else is left alone and reported; the connection role's own undesired grant is revoked", arguments: TestPostgres.supported)
    func drift(server: TestPostgres) async throws {
        try await withEnforcementFixture(server) { f in
            try await f.createSchema("s", in: "gov", "CREATE TABLE %s.orders (id integer)", "CREATE TABLE %s.secret (id integer)")
            let alice = try await f.subscriber("alice")
            let orders = f.relation("gov", "s", "orders")
            let secret = f.relation("gov", "s", "secret")
            let desired = [f.access(alice, orders, .read)]
            _ = try await f.enforce(desired, governed: [orders, secret])
            #expect(await f.tryAs(alice, in: "gov", "SELECT * FROM s.orders") == nil)

            // A DBA revokes Steward's grant (it is the connection role's, so
            // only that role can), grants SELECT on another governed table
            // as the superuser, and hands out INSERT as the connection role.
            try await f.asConnectionRole(in: "gov", "REVOKE SELECT ON s.orders FROM \(q(alice))", "GRANT INSERT ON s.orders TO \(q(alice))")
            try await f.admin(in: f.name("gov"), "GRANT SELECT ON s.secret TO \(q(alice))")
            #expect(await f.tryAs(alice, in: "gov", "SELECT * FROM s.orders")?.sqlState == "42501")

            let report = try await f.enforce(desired, governed: [orders, secret])
            #expect(report.databases.allSatisfy { $0.applied && $0.failure == nil })
            #expect(report.statements.map { "\($0.purpose.rawValue) \($0.sql)" } == [
                #"REVOKE REVOKE INSERT ON TABLE "s"."orders" FROM \#(q(alice))"#,
                #"REPAIR GRANT SELECT ON TABLE "s"."orders" TO \#(q(alice))"#,
            ])
            #expect(report.statements.last?.policies == ["policy-a"])
            let admin = try server.adminOverSocket().user
            #expect(report.drift == [
                DriftFinding(
                    kind: .grantedByOther, database: f.name("gov"),
                    detail: #"SELECT on "s"."secret" to \#(q(alice)) (granted by \#(q(admin)); not Steward's, left as it is)"#),
                DriftFinding(
                    kind: .notDesired, database: f.name("gov"),
                    detail: #"INSERT on "s"."orders" to \#(q(alice)) (granted by the connection role, wanted by no policy)"#),
                DriftFinding(
                    kind: .revokedByOther, database: f.name("gov"),
                    detail: #"SELECT on "s"."orders" to \#(q(alice)) (granted by Steward, revoked by someone else; granted again)"#),
            ].sorted { ($0.kind.rawValue, $0.detail) < ($1.kind.rawValue, $1.detail) })
            #expect(await f.tryAs(alice, in: "gov", "SELECT * FROM s.orders") == nil)
            #expect(await f.tryAs(alice, in: "gov", "INSERT INTO s.orders VALUES (1)")?.sqlState == "42501")
            // The other grantor's grant stands.
            #expect(await f.tryAs(alice, in: "gov", "SELECT * FROM s.secret") == nil)

            // Reported on every run, never changed.
            let again = try await f.enforce(desired, governed: [orders, secret])
            #expect(again.statements.isEmpty)
            #expect(again.drift.map(\.kind) == [.grantedByOther])
        }
    }

    @Test("A missing role is reported, not created; with provisioning it is created NOLOGIN, recorded, granted, and dropped once no policy wants it", arguments: TestPostgres.supported)
    func provisioning(server: TestPostgres) async throws {
        try await withEnforcementFixture(server) { f in
            try await f.createSchema("s", in: "gov", "CREATE TABLE %s.t (id integer)")
            let ghost = f.name("ghost")
            let relation = f.relation("gov", "s", "t")
            let desired = [f.access(ghost, relation, .read)]

            let reported = try await f.enforce(desired, governed: [relation])
            #expect(reported.missingRoles == [ghost])
            #expect(reported.statements.isEmpty)

            let provisioned = try await f.enforce(desired, governed: [relation], provision: true)
            #expect(provisioned.missingRoles.isEmpty)
            #expect(provisioned.statements.first?.sql == "CREATE ROLE \(q(ghost)) NOLOGIN")
            #expect(provisioned.statements.first?.purpose == .provision)
            #expect(provisioned.statements.first?.database == f.settings.stateDatabase)
            let (canLogin, hasSelect, recorded) = try await withAdmin(server, database: f.name("gov")) { [f] connection in
                let row = try connection.run(
                    "SELECT rolcanlogin, has_table_privilege(rolname, 's.t', 'SELECT') AS sel FROM pg_roles WHERE rolname = $1", [ghost]).rows[0]
                let recorded = try withAdminSync(f, database: f.settings.stateDatabase) {
                    try $0.run("SELECT count(*) AS n FROM steward.provisioned_roles WHERE role_name = $1", [ghost]).rows[0].int("n")
                }
                return (try row.bool("rolcanlogin"), try row.bool("sel"), recorded)
            }
            #expect(!canLogin)
            #expect(hasSelect)
            #expect(recorded == 1)

            let dropped = try await f.enforce([], governed: [relation], provision: true)
            #expect(dropped.statements.map(\.purpose) == [.revoke, .revoke, .revoke, .deprovision])
            #expect(dropped.statements.last?.sql == "DROP ROLE \(q(ghost))")
            let left = try await withAdmin(server) { connection in
                try connection.run("SELECT count(*) AS n FROM pg_roles WHERE rolname = $1", [ghost]).rows[0].int("n")
            }
            #expect(left == 0)
        }
    }

    @Test("Two runs of one connection never interleave: a run waits for the connection's advisory lock, at most until its deadline", arguments: [TestPostgres.pg17])
    func lock(server: TestPostgres) async throws {
        try await withEnforcementFixture(server) { f in
            try await f.createSchema("s", in: "gov", "CREATE TABLE %s.t (id integer)")
            let alice = try await f.subscriber("alice")
            let relation = f.relation("gov", "s", "t")
            let holder = try PostgresConnection.open(try server.adminOverSocket(database: f.settings.stateDatabase))
            defer { holder.close() }
            try holder.run("SELECT pg_advisory_lock(hashtextextended($1, 0))", ["steward-enforce:" + f.key])
            do {
                _ = try await f.enforce([f.access(alice, relation, .read)], governed: [relation], deadlineMilliseconds: 1_500)
                Issue.record("the run did not wait for the lock")
            } catch let error as DomainError {
                #expect(error.code == .deadlineExceeded)
                #expect(error.message.contains("held its lock"), "\(error.message)")
            }
            #expect(await f.tryAs(alice, in: "gov", "SELECT * FROM s.t")?.isPermissionDenied == true)
            try holder.run("SELECT pg_advisory_unlock_all()")
            _ = try await f.enforce([f.access(alice, relation, .read)], governed: [relation])
            #expect(await f.tryAs(alice, in: "gov", "SELECT * FROM s.t") == nil)
        }
    }
}

/// Runs `body` on a fresh administrator connection, blocking (for use inside another admin body).
func withAdminSync<T>(_ f: EnforcementFixture, database: String, _ body: (PostgresConnection) throws -> T) throws -> T {
    let connection = try PostgresConnection.open(try f.server.adminOverSocket(database: database))
    defer { connection.close() }
    return try body(connection)
}

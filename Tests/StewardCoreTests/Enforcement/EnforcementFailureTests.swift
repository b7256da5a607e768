import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import Testing

/// A run that fails part-way leaves each database fully applied or
/// untouched, and the next run converges.
///
/// The point of failure is controlled, not timed: an administrator session
/// holds the `pg_class` row of the second database's last table FOR UPDATE,
/// so the run's GRANT on it waits (its earlier statements in that database
/// already executed, uncommitted); the test waits until the server shows the
/// run's session waiting on that lock, then ends it.
@Suite(.serialized) struct EnforcementFailureTests {
    enum Ending: String, CaseIterable { case terminated, deadline }

    @Test("The server ends the run's session mid-transaction, or the deadline passes: the first database is applied, the second untouched; the next run converges", arguments: TestPostgres.supported, Ending.allCases)
    func failureMidRun(server: TestPostgres, ending: Ending) async throws {
        try await withEnforcementFixture(server, governed: ["one", "two"]) { f in
            try await f.createSchema("s", in: "one", "CREATE TABLE %s.a (id integer)")
            try await f.createSchema("s", in: "two", "CREATE TABLE %s.b (id integer)", "CREATE TABLE %s.c (id integer)")
            let alice = try await f.subscriber("alice")
            let governed = [f.relation("one", "s", "a"), f.relation("two", "s", "b"), f.relation("two", "s", "c")]
            let desired = governed.map { f.access(alice, $0, .write) }
            let untouched = try await f.aclSnapshot(of: [f.name("two")])

            let blocker = try PostgresConnection.open(try server.adminOverSocket(database: f.name("two")))
            defer { blocker.close() }
            try blocker.run("BEGIN")
            try blocker.run("SELECT 1 FROM pg_catalog.pg_class WHERE oid = 's.c'::regclass FOR UPDATE")
            let run = Task {
                try await f.enforce(desired, governed: governed, deadlineMilliseconds: ending == .deadline ? 8_000 : 60_000)
            }
            let pid = try await waitForBlockedRun(f, in: f.name("two"))
            if ending == .terminated {
                try await f.admin("SELECT pg_terminate_backend(\(pid))")
            }
            let outcome = await run.result
            try blocker.run("ROLLBACK")

            switch ending {
            case .terminated:
                let report = try outcome.get()
                #expect(report.databases.map(\.database) == [f.name("one"), f.name("two")])
                #expect(report.databases.map(\.applied) == [true, false])
                #expect(report.databases[1].failure != nil)
            case .deadline:
                // The deadline ends the whole run (the state database's last
                // writes cannot run either), after the first database committed.
                #expect(throws: DomainError.self) { try outcome.get() }
            }
            // The first database fully applied; the second exactly as before.
            #expect(await f.tryAs(alice, in: "one", "INSERT INTO s.a VALUES (1)") == nil)
            #expect(await f.tryAs(alice, in: "two", "SELECT 1")?.isPermissionDenied == true)
            #expect(try await f.aclSnapshot(of: [f.name("two")]) == untouched)
            try await expectNoGrants(f, to: alice, in: "two")

            // The next run converges: the second database applied, the first unchanged.
            let next = try await f.enforce(desired, governed: governed)
            #expect(next.databases.map(\.applied) == [true, true])
            #expect(next.databases[0].statements.isEmpty)
            #expect(!next.databases[1].statements.isEmpty)
            #expect(next.drift.isEmpty)
            #expect(await f.tryAs(alice, in: "two", "INSERT INTO s.c VALUES (1)") == nil)
            let settled = try await f.enforce(desired, governed: governed)
            #expect(settled.statements.isEmpty)
        }
    }

    /// The pid of the run's session in `database` once the server shows it
    /// waiting for a lock. Polls the server's own view of it (bounded).
    private func waitForBlockedRun(_ f: EnforcementFixture, in database: String) async throws -> Int {
        for _ in 0..<600 {
            let pid = try await withAdmin(f.server) { connection in
                try connection.run(
                    """
                    SELECT pid FROM pg_stat_activity
                    WHERE datname = $1 AND application_name = $2 AND wait_event_type = 'Lock'
                    UNION ALL SELECT NULL FROM pg_sleep(0.05)
                    """, [database, LivePolicyEnforcer.applicationName]
                ).rows.compactMap { try $0.text("pid").flatMap(Int.init) }.first
            }
            if let pid { return pid }
        }
        throw PostgresError(kind: .timeout, message: "the run never waited on the lock")
    }

    private func expectNoGrants(_ f: EnforcementFixture, to role: String, in database: String) async throws {
        let count = try await withAdmin(f.server, database: f.name(database)) { connection in
            try connection.run(
                """
                SELECT count(*) AS n FROM (
                  SELECT a.grantee FROM pg_class c, aclexplode(c.relacl) a WHERE c.relnamespace = 's'::regnamespace
                  UNION ALL SELECT a.grantee FROM pg_namespace n, aclexplode(n.nspacl) a
                  UNION ALL SELECT a.grantee FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database()
                ) g WHERE g.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)
                """, [role]
            ).rows[0].int("n")
        }
        #expect(count == 0, "\(role) holds \(count) grant(s) in \(database)")
    }
}

import Foundation
import PostgresTestSupport
import StewardPostgres
import Testing

/// Issue 14's "Must be shown", through the real CLI, the real stewardd (its
/// EnforcementScheduler and LivePolicyEnforcer) over its socket, and real
/// PostgreSQL 16 and 17: subscribers log in as their mapped roles and the
/// server itself says what they may do. Each change's enforcement runs in
/// the background; the test waits for it on the catalog, with a deadline.
@Suite("Policy enforcement end to end (real daemon, real logins)", .timeLimit(.minutes(5)))
struct PolicyEnforcementEndToEndTests {
    static let insufficientPrivilege = "42501"

    @Test("Group READ, WRITE, and each way access is taken away; a table synced later is covered", arguments: TestPostgres.supported)
    func grantsFollowPolicies(server: TestPostgres) async throws {
        try await LiveEnforcement.with(server) { f in
            // A READ policy on the schema scope for the group (set up, and
            // enforced in the background, by setUp).
            try await Self.setUp(f)
            let denied = Self.insufficientPrivilege
            for user in ["alice", "bob"] {
                #expect(try await f.sqlState(as: user, "SELECT * FROM sales.orders") == nil, "\(user) reads orders")
                #expect(try await f.sqlState(as: user, "SELECT * FROM sales.items") == nil, "\(user) reads items")
                #expect(try await f.sqlState(as: user, "SELECT * FROM sales.summary") == nil, "\(user) reads the view")
                #expect(try await f.sqlState(as: user, "INSERT INTO sales.orders VALUES (1, 'x')") == denied, "READ is not WRITE")
                #expect(try await f.sqlState(as: user, "SELECT * FROM other.secret") == denied, "outside the scope")
            }
            #expect(try await f.sqlState(as: "carol", "SELECT * FROM sales.orders") == denied, "carol is not in the group")

            // A WRITE policy for alice alone: every write succeeds.
            try await f.stewardOK(["policy", "create", "writes", "--access", "WRITE", "--scope", "\(f.key)/\(f.governed)/sales", "--user", "alice"])
            try await f.waitUntil("alice", holds: true, "TRUNCATE", on: "sales.items")
            for statement in ["INSERT INTO sales.items VALUES (1, 'a'), (2, 'b')", "UPDATE sales.items SET note = 'c' WHERE id = 1",
                              "DELETE FROM sales.items WHERE id = 2", "TRUNCATE sales.items"] {
                #expect(try await f.sqlState(as: "alice", statement) == nil, "alice: \(statement)")
            }
            #expect(try await f.sqlState(as: "bob", "INSERT INTO sales.items VALUES (3, 'd')") == denied, "WRITE is alice's only")
            // A view is read-only to Steward: WRITE on it is SELECT only,
            // though PostgreSQL would let this simple view take an INSERT.
            #expect(try await f.sqlState(as: "alice", "SELECT * FROM sales.summary") == nil)
            #expect(try await f.sqlState(as: "alice", "INSERT INTO sales.summary VALUES (5)") == denied)

            // Deleting the policy takes its access away (READ stays, through the group).
            try await f.stewardOK(["policy", "delete", "writes"])
            try await f.waitUntil("alice", holds: false, "INSERT", on: "sales.items")
            #expect(try await f.sqlState(as: "alice", "INSERT INTO sales.items VALUES (4, 'e')") == denied)
            #expect(try await f.sqlState(as: "alice", "SELECT * FROM sales.items") == nil)

            // Removing a member takes the member's access away.
            try await f.stewardOK(["group", "remove-member", "analysts", "bob"])
            try await f.waitUntil("bob", holds: false, "SELECT", on: "sales.orders")
            #expect(try await f.sqlState(as: "bob", "SELECT * FROM sales.orders") == denied)
            #expect(try await f.sqlState(as: "alice", "SELECT * FROM sales.orders") == nil, "alice is still a member")

            // A table created later under the scoped schema is covered by the
            // enforcement the sync triggers, with no policy call.
            try await f.admin("SET ROLE \(SQLQuoting.identifier(f.owner))", "CREATE TABLE sales.later (id integer)", "RESET ROLE")
            #expect(try await f.sqlState(as: "alice", "SELECT * FROM sales.later") == denied, "not yet synced")
            try await f.stewardOK(["connection", "sync", f.key])
            try await f.waitUntil("alice", holds: true, "SELECT", on: "sales.later")
            #expect(try await f.sqlState(as: "alice", "SELECT * FROM sales.later") == nil)

            // Removing the mapping takes the mapped role's access away (alice
            // falls back to her user name); mapped again, she reads again.
            try await f.stewardOK(["mapping", "remove", "alice", "--connection", f.key])
            try await f.waitUntil("alice", holds: false, "SELECT", on: "sales.orders")
            #expect(try await f.sqlState(as: "alice", "SELECT * FROM sales.orders") == denied)
            try await f.stewardOK(["mapping", "set", "alice", "--postgres-username", f.role("alice"), "--connection", f.key])
            try await f.waitUntil("alice", holds: true, "SELECT", on: "sales.orders")
            #expect(try await f.sqlState(as: "alice", "SELECT * FROM sales.orders") == nil)

            // Setting the mapping to NONE takes access away.
            try await f.stewardOK(["mapping", "set", "alice", "--none", "--connection", f.key])
            try await f.waitUntil("alice", holds: false, "SELECT", on: "sales.orders")
            #expect(try await f.sqlState(as: "alice", "SELECT * FROM sales.orders") == denied)
            let report = try await f.stewardOK(["policy", "enforce", f.key])
            #expect(report.standardOutput.contains("subscribers with no grant"), "\(report.standardOutput)")
            #expect(report.standardOutput.contains("alice (reads)"), "\(report.standardOutput)")
        }
    }

    @Test("Drift: a DBA's REVOKE is repaired by the next run, another's grant is left and reported; a dry run prints the exact plan and changes nothing; deactivation revokes Steward's grants",
          arguments: TestPostgres.supported)
    func driftAndDryRun(server: TestPostgres) async throws {
        try await LiveEnforcement.with(server) { f in
            try await Self.setUp(f)
            let denied = Self.insufficientPrivilege
            // Enforce runs under the connection's lock, so it returns once the
            // background run is over: nothing is left to do.
            let settled = try await f.stewardOK(["policy", "enforce", f.key])
            #expect(settled.standardOutput.contains("no statements: the grants are as the policies say"), "\(settled.standardOutput)")
            // What Steward applied is recorded, not remembered: after a
            // restart the next run still has nothing to do.
            try await f.restartDaemon()
            let restarted = try await f.stewardOK(["policy", "enforce", f.key])
            #expect(restarted.standardOutput.contains("no statements: the grants are as the policies say"), "\(restarted.standardOutput)")

            // A DBA takes Steward's grant away (only its grantor can revoke it:
            // PostgreSQL accepts GRANTED BY only for the current user), and
            // grants carol directly (a superuser's grant is the owner's).
            let q = SQLQuoting.identifier(_:)
            try await f.admin(
                "SET ROLE \(q(f.connectionRole))",
                "REVOKE SELECT ON sales.orders FROM \(q(f.role("alice")))",
                "RESET ROLE",
                "GRANT USAGE ON SCHEMA sales TO \(q(f.role("carol")))",
                "GRANT SELECT ON sales.items TO \(q(f.role("carol")))")
            #expect(try await f.sqlState(as: "alice", "SELECT * FROM sales.orders") == denied, "the DBA's REVOKE took")

            // The dry run prints exactly the repair, and runs nothing.
            let plan = try await f.stewardOK(["policy", "enforce", f.key, "--dry-run"])
            let lines = plan.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let header = try #require(lines.firstIndex(of: "database \(f.governed) (1 statements, dry run)"), "\(plan.standardOutput)")
            #expect(lines[header + 1] == "  GRANT SELECT ON TABLE \(SQLQuoting.qualified("sales", "orders")) TO \(q(f.role("alice")));  -- REPAIR  -- reads",
                    "\(plan.standardOutput)")
            #expect(lines.first == "plan for connection \(f.key)")
            #expect(plan.standardOutput.contains("REVOKED_BY_OTHER"), "\(plan.standardOutput)")
            #expect(try await f.sqlState(as: "alice", "SELECT * FROM sales.orders") == denied, "a dry run changes nothing")

            // The next real run repairs it, reports both drifts, and leaves carol's grant.
            let run = try await f.stewardOK(["policy", "enforce", f.key])
            #expect(run.standardOutput.contains("database \(f.governed) (1 statements, applied)"), "\(run.standardOutput)")
            #expect(run.standardOutput.contains("REVOKED_BY_OTHER"), "\(run.standardOutput)")
            let other = run.standardOutput.split(separator: "\n").filter { $0.contains("GRANTED_BY_OTHER") }
            #expect(other.contains { $0.contains(f.role("carol")) && $0.contains("items") }, "\(run.standardOutput)")
            #expect(try await f.sqlState(as: "alice", "SELECT * FROM sales.orders") == nil, "repaired")
            #expect(try await f.sqlState(as: "carol", "SELECT * FROM sales.items") == nil, "another's grant is left alone")
            #expect(try await f.sqlState(as: "carol", "SELECT * FROM sales.orders") == denied)

            // And the run after that has nothing to do, but still reports the other grant.
            let again = try await f.stewardOK(["policy", "enforce", f.key])
            #expect(again.standardOutput.contains("no statements"), "\(again.standardOutput)")
            #expect(again.standardOutput.contains("GRANTED_BY_OTHER"), "\(again.standardOutput)")

            // Deactivating the connection revokes Steward's grants before it
            // answers, and leaves the DBA's; then it can be deleted.
            let deactivated = try await f.stewardOK(["connection", "deactivate", f.key, "--json"])
            #expect(deactivated.standardOutput.contains("INACTIVE"), "\(deactivated.standardOutput)")
            #expect(try await f.sqlState(as: "alice", "SELECT * FROM sales.orders") == denied, "Steward's grants are gone")
            #expect(try await f.sqlState(as: "bob", "SELECT * FROM sales.items") == denied)
            #expect(try await f.sqlState(as: "carol", "SELECT * FROM sales.items") == nil, "the DBA's grant stays")
            try await f.stewardOK(["connection", "delete", f.key, "--yes"])
        }
    }

    /// The connection ACTIVE and synced over two schemas; Steward users
    /// alice and bob in group analysts, carol outside it, each mapped on
    /// the connection to a LOGIN role of their own; then policy `reads`
    /// (READ on schema `sales`, for the group), and the wait until the
    /// enforcement that change triggered has granted it.
    static func setUp(_ f: LiveEnforcement) async throws {
        try await f.activate(
            subscribers: ["alice", "bob", "carol"], schemas: ["sales", "other"],
            tables: ["sales.orders", "sales.items", "other.secret"],
            more: ["CREATE VIEW sales.summary AS SELECT id FROM sales.orders", "ALTER VIEW sales.summary OWNER TO \(SQLQuoting.identifier(f.owner))"])
        for (user, uid) in [("alice", "62001"), ("bob", "62002"), ("carol", "62003")] {
            try await f.stewardOK(["user", "create", user, "--uid", uid])
            try await f.stewardOK(["mapping", "set", user, "--postgres-username", f.role(user), "--connection", f.key])
        }
        try await f.stewardOK(["group", "create", "analysts"])
        try await f.stewardOK(["group", "add-member", "analysts", "alice", "bob"])
        try await f.stewardOK(["policy", "create", "reads", "--access", "READ", "--scope", "\(f.key)/\(f.governed)/sales", "--group", "analysts"])
        for user in ["alice", "bob"] {
            for table in ["sales.orders", "sales.items"] { try await f.waitUntil(user, holds: true, "SELECT", on: table) }
        }
    }
}

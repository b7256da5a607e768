import Foundation
import PostgresTestSupport
import StewardModel
import StewardPostgres
@testable import StewardStore
import Testing

/// Leases in a shared registry (issue 13, item 9): two stores on one
/// database stand for two daemons. A lease session is ended from outside
/// with `pg_terminate_backend`, as the server ends a dead daemon's.
@Suite("PostgreSQL registry leases", .timeLimit(.minutes(2)))
struct PostgresLeaseTests {
    static let servers: [TestPostgres] = TestPostgres.supported

    /// Ends every lease session on the database (each daemon's).
    func endLeaseSessions(_ database: PostgresTestDatabase) throws {
        try database.admin(
            """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = $1 AND application_name LIKE 'stewardd leases %'
            """, [database.name])
    }

    func dataSourceNames(_ store: PostgresRegistryStore) throws -> [String] {
        try store.listDataSources(DataSourceFilter(connectionKey: "c"), page: PageRequest()).items.map(\.name)
    }

    @Test("One daemon at a time holds a connection's work; a daemon that lost its lease stores nothing", arguments: servers)
    func workLeaseAndFence(server: TestPostgres) async throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let first = try database.openStore(key: key)
        defer { first.close() }
        let second = try database.openStore(key: key)
        defer { second.close() }
        try Samples.connection(first, "c")

        let held = try #require(try await first.connectionLeases.takeWork(on: "c", until: .after(milliseconds: 0)))
        // Neither the other daemon nor another task of this one gets it.
        #expect(try await second.connectionLeases.takeWork(on: "c", until: .after(milliseconds: 300)) == nil)
        #expect(try await first.connectionLeases.takeWork(on: "c", until: .after(milliseconds: 0)) == nil)
        // Another connection's work is free.
        let other = try #require(try await second.connectionLeases.takeWork(on: "d", until: .after(milliseconds: 0)))
        second.connectionLeases.release(other)

        // While held, the holder's writes store.
        try LeaseFence.$current.withValue(held.fence) {
            _ = try first.syncDataSources(connectionKey: "c", scannedDatabases: ["sales"], tables: [Samples.table("sales", "public", "t1")])
        }
        #expect(try dataSourceNames(first) == ["c.sales.public.t1"])

        // The holder's lease session ends (as a dead daemon's does); the
        // other daemon takes the lease once the server has let it go.
        try endLeaseSessions(database)
        let taken = try #require(try await second.connectionLeases.takeWork(on: "c", until: .after(milliseconds: 10_000)))
        // The first daemon, still scanning, tries to store: refused, nothing stored.
        let refused = #expect(throws: StoreError.self) {
            try LeaseFence.$current.withValue(held.fence) {
                _ = try first.syncDataSources(
                    connectionKey: "c", scannedDatabases: ["sales"],
                    tables: [Samples.table("sales", "public", "t1"), Samples.table("sales", "public", "stale")])
            }
        }
        #expect(refused?.code == .revisionConflict, "\(String(describing: refused))")
        #expect(refused?.message.contains("no longer holds the lease of connection \"c\"") == true)
        #expect(try dataSourceNames(first) == ["c.sales.public.t1"])
        // The new holder stores.
        try LeaseFence.$current.withValue(taken.fence) {
            _ = try second.syncDataSources(
                connectionKey: "c", scannedDatabases: ["sales"],
                tables: [Samples.table("sales", "public", "t1"), Samples.table("sales", "public", "t2")])
        }
        #expect(try dataSourceNames(first) == ["c.sales.public.t1", "c.sales.public.t2"])
        first.connectionLeases.release(held)
        second.connectionLeases.release(taken)
        // Released, it is free again for the first daemon (on a new lease session).
        let again = try #require(try await first.connectionLeases.takeWork(on: "c", until: .after(milliseconds: 0)))
        first.connectionLeases.release(again)
    }

    @Test("Rechecks of a connection belong to one daemon until it ends, then pass to another", arguments: servers)
    func recheckLeases(server: TestPostgres) async throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let first = try database.openStore(key: key)
        let second = try database.openStore(key: key)
        defer { second.close() }
        #expect(first.connectionLeases.holdsRechecks(of: "c"))
        #expect(first.connectionLeases.holdsRechecks(of: "c"), "kept from one round to the next")
        #expect(!second.connectionLeases.holdsRechecks(of: "c"))
        #expect(second.connectionLeases.holdsRechecks(of: "d"))
        // Let go of what is no longer rechecked: the other daemon may take it.
        first.connectionLeases.releaseRechecks(except: [])
        #expect(second.connectionLeases.holdsRechecks(of: "c"))
        second.connectionLeases.releaseRechecks(except: ["d"])
        #expect(first.connectionLeases.holdsRechecks(of: "c"))
        // The first daemon ends without letting go: the server does it.
        try endLeaseSessions(database)
        first.close()
        var passed = false
        let giveUp = Date().addingTimeInterval(10)
        while !passed && Date() < giveUp {
            passed = second.connectionLeases.holdsRechecks(of: "c")
            if !passed { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(passed, "the rechecks of a daemon whose session ended never passed to another")
    }

    @Test("Reads of one statement and of several give the same answers; a read of several sees one snapshot", arguments: servers)
    func singleStatementReads(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        try store.createUser(name: "reader", uid: 4242, permissions: [.userAdmin])
        try Samples.connection(store, "c")
        // One statement: answered without a transaction.
        #expect(try store.user(uid: 4242)?.name == "reader")
        #expect(try store.connection(key: "c").key == "c")
        // Several statements: run again in one transaction, same answer.
        let twice = try store.read { session in
            let users = try session.query("SELECT count(*) AS n FROM users")
            // The read's own transaction is REPEATABLE READ; a statement
            // run alone has the session's default, READ COMMITTED.
            let second = try session.query("SELECT current_setting('transaction_isolation') = 'repeatable read' AS in_transaction")
            return (try users[0].int64Value("n"), try second[0].textValue("in_transaction") == "t")
        }
        #expect(twice.0 == 1)
        #expect(twice.1, "a read of two statements ran outside one transaction")
        let once = try store.read { session in
            try session.query("SELECT current_setting('transaction_isolation') = 'repeatable read' AS in_transaction")[0]
                .textValue("in_transaction") == "t"
        }
        #expect(!once, "a read of one statement paid for a transaction")
        #expect(try store.listConnections(state: nil, page: PageRequest()).items.map(\.key) == ["c"])
    }
}

import Dispatch
import Foundation
import PostgresTestSupport
import StewardPostgres
@testable import StewardStore
import StewardWire
import Synchronization
import Testing

/// Group commit on the shared registry, as SQLite has it (GroupCommitTests):
/// one daemon's concurrent writes share a transaction and a COMMIT, each in
/// a savepoint sent with the write's first statement.
@Suite("PostgreSQL store: group commit", .timeLimit(.minutes(2)))
struct PostgresGroupCommitTests {
    /// The usernames lock (every user creation takes it) is held from
    /// another session while the writers queue, so they meet in the queue
    /// whatever the machine's timing: the first group is whoever came before
    /// the lock was let go, the second everyone else. Among them, one writer
    /// fails in Swift (a taken name: no statement failed) and one in
    /// PostgreSQL (a trigger, installed for this test, refuses its row: the
    /// transaction is failed until its savepoint is rolled back); both undo
    /// only their own change and event.
    @Test("Concurrent writes share commits; each is durable, and a failing writer undoes only its own change and event",
          arguments: TestPostgres.supported)
    func concurrentWritersShareCommits(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let store = try database.openStore(key: key)
        defer { store.close() }
        try store.createUser(name: "taken", uid: 2000, permissions: [])
        try database.admin(
            """
            CREATE FUNCTION steward_registry.refuse_poison() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN IF NEW.name = 'poison' THEN RAISE EXCEPTION 'poison refused'; END IF; RETURN NEW; END $$
            """)
        try database.admin(
            """
            CREATE TRIGGER refuse_poison BEFORE INSERT ON steward_registry.users
            FOR EACH ROW EXECUTE FUNCTION steward_registry.refuse_poison()
            """)
        let before = store.groupCommitStatistics
        let writers = 40
        let good = writers - 2

        let holder = try PostgresConnection.open(try database.parameters)
        defer { holder.close() }
        try holder.run("SELECT pg_advisory_lock(1398036292, 2)")

        let writersOf = AuditedUserWriters(method: "/test/PostgresGroupCommit")
        func startWriter(_ index: Int, name: String, uid: UInt32) { writersOf.start(index, name: name, uid: uid, on: store) }
        for index in 0..<good { startWriter(index, name: "writer\(index)", uid: 3000 + UInt32(index)) }
        waitUntil { store.groupCommitStatistics.arrivals - before.arrivals == good }
        // Last in, so that they share the second group with good writers.
        startWriter(good, name: "taken", uid: 4000)
        startWriter(good + 1, name: "poison", uid: 4001)
        waitUntil { store.groupCommitStatistics.arrivals - before.arrivals == writers }
        try holder.run("SELECT pg_advisory_unlock(1398036292, 2)")
        let results = writersOf.waitForAll()
        for index in 0..<good {
            #expect((try? results[index]?.get()) == true, "writer \(index) is answered, its event committed with it")
        }
        guard case .failure(let taken)? = results[good], case .failure(let poisoned)? = results[good + 1] else {
            Issue.record("the writers of a taken name and of a refused row must fail: \(String(describing: results[good])), \(String(describing: results[good + 1]))")
            return
        }
        #expect(taken.code == .alreadyExists)
        #expect(poisoned.debugDescription.contains("poison refused"), "\(poisoned.debugDescription)")

        let after = store.groupCommitStatistics
        #expect(after.writes - before.writes == good)
        #expect(after.commits - before.commits <= 2, "\(good) writes took \(after.commits - before.commits) commits")

        // Durable and visible to another daemon: a second store on the registry.
        let other = try database.openStore(key: key)
        defer { other.close() }
        let names = Set(try other.listUsers(page: PageRequest(size: 500)).items.map(\.name))
        #expect(names == Set((0..<good).map { "writer\($0)" }).union(["taken"]))
        #expect(try other.user(uid: 4000) == nil && other.user(uid: 4001) == nil, "the failed writers' rows are gone")
        #expect(try other.user(name: "writer7").permissions == [.applicationAdmin])
        let events = try other.listAuditEvents(AuditFilter(method: "/test/PostgresGroupCommit"), page: PageRequest(size: 500)).items
        #expect(events.count == good, "one event per committed change, none for the failures")
        #expect(!events.contains { $0.target == "taken" || $0.target == "poison" })
        // The group's session is usable after it all: the next write commits.
        try store.createUser(name: "afterwards", uid: 5000, permissions: [])
        #expect(try other.user(uid: 5000)?.name == "afterwards")
    }

    @Test("A lone write is committed and answered as before; a failed one commits nothing", arguments: TestPostgres.supported)
    func loneWrite(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        let before = store.groupCommitStatistics
        try store.createUser(name: "alone", uid: 2100, permissions: [])
        #expect(store.groupCommitStatistics.commits == before.commits + 1)
        #expect(throws: StoreError.self) { try store.createUser(name: "alone", uid: 2101, permissions: []) }
        #expect(store.groupCommitStatistics.commits == before.commits + 1, "a group whose only write failed commits nothing")
        #expect(try store.user(uid: 2101) == nil)
        try store.createUser(name: "second", uid: 2102, permissions: [])
        #expect(try store.user(uid: 2102)?.name == "second")
    }

    /// Waits for a condition other threads make true (the writers queueing).
    private func waitUntil(_ condition: () -> Bool) {
        while !condition() { usleep(200) }
    }
}

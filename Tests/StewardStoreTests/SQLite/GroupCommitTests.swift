import Dispatch
import Foundation
import StewardModel
import StewardStore
import StewardWire
import Synchronization
import Testing

@Suite("SQLite store: group commit", .timeLimit(.minutes(1)))
struct GroupCommitTests {
    /// The write lock is held from outside while the writers queue, so
    /// they must meet in the queue whatever the machine's timing: the
    /// first group is whoever came before the lock was let go, the second
    /// everyone else. Each writer records its call's audit event with its
    /// change, as a daemon's call does.
    @Test("Concurrent writes share commits; each is durable, and one failing writer undoes only its own change and event")
    func concurrentWritersShareCommits() throws {
        let test = try SQLiteTestStore()
        let store = test.store
        try store.createUser(name: "taken", uid: 2000, permissions: [])
        let before = store.groupCommitStatistics
        let writers = 40
        let good = writers - 1

        // Holds the write connection until every writer has queued.
        let release = holdWriteConnection(of: store)

        let writersOf = AuditedUserWriters(method: "/test/GroupCommit")
        func startWriter(_ index: Int, name: String, uid: UInt32) { writersOf.start(index, name: name, uid: uid, on: store) }
        for index in 0..<good { startWriter(index, name: "writer\(index)", uid: 3000 + UInt32(index)) }
        waitUntil { store.groupCommitStatistics.arrivals - before.arrivals == good }
        // Last in, so it shares the second group with good writers.
        startWriter(good, name: "taken", uid: 4000)
        waitUntil { store.groupCommitStatistics.arrivals - before.arrivals == writers }
        release.signal()
        let results = writersOf.waitForAll()
        for index in 0..<good {
            #expect((try? results[index]?.get()) == true, "writer \(index) is answered, its event committed with it")
        }
        guard case .failure(let failure)? = results[good] else {
            Issue.record("the writer of a taken name must fail")
            return
        }
        #expect(failure.code == .alreadyExists)

        let after = store.groupCommitStatistics
        #expect(after.writes - before.writes == good)
        #expect(after.commits - before.commits <= 2, "\(good) writes took \(after.commits - before.commits) commits")

        // Durable: a store opened afresh on the file sees every answered write.
        store.close()
        let reopened = try SQLiteRegistryStore(path: test.path, key: test.key)
        defer { reopened.close() }
        let names = Set(try reopened.listUsers(page: PageRequest(size: 500)).items.map(\.name))
        #expect(names == Set((0..<good).map { "writer\($0)" }).union(["taken"]))
        #expect(try reopened.user(uid: 4000) == nil, "the failed writer's row is gone")
        #expect(try reopened.user(name: "writer7").permissions == [.applicationAdmin])
        let events = try reopened.listAuditEvents(AuditFilter(method: "/test/GroupCommit"), page: PageRequest(size: 500)).items
        #expect(events.count == good, "one event per committed change, none for the failure")
        #expect(!events.contains { $0.target == "taken" })
    }

    @Test("A lone write is committed and answered as before")
    func loneWrite() throws {
        let test = try SQLiteTestStore()
        let before = test.store.groupCommitStatistics
        try test.store.createUser(name: "alone", uid: 2100, permissions: [])
        #expect(test.store.groupCommitStatistics.commits == before.commits + 1)
        #expect(throws: StoreError.self) { try test.store.createUser(name: "alone", uid: 2101, permissions: []) }
        #expect(test.store.groupCommitStatistics.commits == before.commits + 1, "a group whose only write failed commits nothing")
        #expect(try test.store.user(uid: 2101) == nil)
    }

    /// The leader is held up (the write connection is held from outside);
    /// a writer queued behind it with a call deadline gives up by that
    /// deadline, its body never run, and the held-up write still commits.
    @Test("A queued writer gives up by its call's deadline; its body never runs")
    func queuedWriterEndsByItsDeadline() throws {
        let test = try SQLiteTestStore()
        let store = test.store
        let before = store.groupCommitStatistics
        let release = holdWriteConnection(of: store)
        let leaderDone = DispatchSemaphore(value: 0)
        Thread {
            _ = try? store.createUser(name: "leader", uid: 2200, permissions: [])
            leaderDone.signal()
        }.start()
        waitUntil { store.groupCommitStatistics.arrivals - before.arrivals == 1 }

        let started = DispatchTime.now().uptimeNanoseconds
        let outcome = Deadline.$ofCurrentCall.withValue(.after(milliseconds: 200)) {
            Result { () throws(StoreError) in try store.createUser(name: "late", uid: 2201, permissions: []) }
        }
        let waitedMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        release.signal()
        leaderDone.wait()
        guard case .failure(let error) = outcome else {
            Issue.record("the queued writer must give up")
            return
        }
        #expect(error.code == .unavailable)
        #expect(waitedMilliseconds >= 200 && waitedMilliseconds < 5_000, "\(waitedMilliseconds) ms")
        #expect(try store.user(uid: 2201) == nil, "the withdrawn body never ran")
        #expect(try store.user(uid: 2200)?.name == "leader")
        // The queue goes on: the next write commits.
        try store.createUser(name: "next", uid: 2202, permissions: [])
        #expect(try store.user(uid: 2202)?.name == "next")
    }

    /// Holds the store's write connection from another thread until the
    /// returned semaphore is signalled.
    private func holdWriteConnection(of store: SQLiteRegistryStore) -> DispatchSemaphore {
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        Thread {
            _ = try? store.withDatabase { _ in
                holding.signal()
                release.wait()
            }
        }.start()
        holding.wait()
        return release
    }

    /// Waits for a condition another thread makes true (the writers queueing).
    private func waitUntil(_ condition: () -> Bool) {
        while !condition() { usleep(200) }
    }
}

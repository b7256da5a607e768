import Dispatch
import Foundation
import PostgresTestSupport
import StewardModel
import StewardPostgres
@testable import StewardStore
import Synchronization
import Testing

/// One-statement reads of concurrent calls share round trips
/// (PostgresReadBatcher); each still gets its own answer, its own error,
/// and sees every change committed before it was asked.
@Suite("PostgreSQL store: batched reads", .timeLimit(.minutes(2)))
struct PostgresReadBatchTests {
    /// Every read session is held by a read of several statements (its own
    /// transaction) while the one-statement readers arrive, so that they
    /// must queue, whatever the machine's timing, and go in batches once
    /// the sessions are let go. Among them, readers whose statement fails
    /// (division by zero) get that error and nobody else does.
    @Test("Queued one-statement reads go in shared batches; each gets its own rows or its own error",
          arguments: TestPostgres.supported)
    func concurrentReadsShareBatches(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        let users = 24
        for index in 0..<users { try store.createUser(name: "reader\(index)", uid: 3000 + UInt32(index), permissions: []) }

        let letGo = holdEveryReadSession(of: store)

        let before = store.readBatchStatistics
        let answers = Mutex<[Int: Result<String?, StoreError>]>([:])
        let readers = DispatchGroup()
        let total = users + 4
        for index in 0..<total {
            readers.enter()
            Thread {
                let answer = Result { () throws(StoreError) -> String? in
                    if index >= users {
                        // A statement that fails on the server.
                        return try store.read { session in try session.query("SELECT 1 / $1::int AS n", 0).first?.values[0] }
                    }
                    return try store.user(uid: 3000 + UInt32(index))?.name
                }
                answers.withLock { $0[index] = answer }
                readers.leave()
            }.start()
        }
        // Every reader has asked: the batches' leaders wait for a session,
        // the others wait in the queue.
        while store.readBatchStatistics.arrivals - before.arrivals < total { usleep(200) }
        letGo()
        readers.wait()

        let all = answers.withLock { $0 }
        for index in 0..<users {
            #expect((try? all[index]?.get()) == "reader\(index)", "reader \(index) got \(String(describing: all[index]))")
        }
        for index in users..<total {
            guard case .failure(let error)? = all[index] else {
                Issue.record("reader \(index) must fail: \(String(describing: all[index]))")
                continue
            }
            #expect(error.debugDescription.contains("division by zero"), "\(error.debugDescription)")
        }
        let after = store.readBatchStatistics
        #expect(after.statements - before.statements == total)
        #expect(after.batches - before.batches < total, "\(total) reads took \(after.batches - before.batches) batches")
        #expect(after.answered - before.answered == total)
        #expect(after.unanswered == 0, "every reader has its answer")
        // A read after a write sees it, batched or not.
        try store.createUser(name: "late", uid: 4999, permissions: [])
        #expect(try store.user(uid: 4999)?.name == "late")
    }

    /// Every read session is held, and as many readers without a deadline
    /// lead batches that wait for one; a reader with a call deadline queued
    /// behind them gives up by that deadline, and they are answered once
    /// the sessions are let go.
    @Test("A queued reader gives up by its call's deadline", arguments: [TestPostgres.pg17])
    func queuedReaderEndsByItsDeadline(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        try store.createUser(name: "someone", uid: 3100, permissions: [])
        let sessions = PostgresRegistryStore.defaultReadSessions
        let letGo = holdEveryReadSession(of: store)
        let before = store.readBatchStatistics
        let leaders = DispatchGroup()
        let answered = Mutex(0)
        for _ in 0..<sessions {
            leaders.enter()
            Thread {
                if (try? store.user(uid: 3100))??.name == "someone" { answered.withLock { $0 += 1 } }
                leaders.leave()
            }.start()
        }
        while store.readBatchStatistics.arrivals - before.arrivals < sessions { usleep(200) }

        let started = DispatchTime.now().uptimeNanoseconds
        let outcome = Deadline.$ofCurrentCall.withValue(.after(milliseconds: 200)) {
            Result { () throws(StoreError) in try store.user(uid: 3100) }
        }
        let waitedMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        letGo()
        leaders.wait()
        guard case .failure(let error) = outcome else {
            Issue.record("the queued reader must give up")
            return
        }
        #expect(error.code == .unavailable)
        #expect(waitedMilliseconds >= 200 && waitedMilliseconds < 5_000, "\(waitedMilliseconds) ms")
        #expect(answered.withLock { $0 } == sessions, "the readers without a deadline are answered")
        #expect(try store.user(uid: 3100)?.name == "someone", "reads go on")
    }

    @Test("A connection never validated is read with its newest report in one statement, one round trip",
          arguments: [TestPostgres.pg17])
    func connectionWithReportInOneStatement(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        try Samples.connection(store, "warehouse")
        let before = store.readBatchStatistics
        let (connection, report) = try store.connectionWithLatestReport(key: "warehouse")
        #expect(connection.settings.governedDatabases == ["sales", "hr"])
        #expect(report == nil)
        #expect(store.readBatchStatistics.arrivals - before.arrivals == 1, "the connection and its report: one statement")
    }

    /// Holds every read session of `store` with a read of two statements (a
    /// transaction of its own), each blocked until the returned function
    /// lets them go and waits for them to end.
    private func holdEveryReadSession(of store: PostgresRegistryStore) -> () -> Void {
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let holders = DispatchGroup()
        let sessions = PostgresRegistryStore.defaultReadSessions
        for _ in 0..<sessions {
            holders.enter()
            Thread {
                _ = try? store.read { session in
                    try session.query("SELECT 1")
                    try session.query("SELECT 2")
                    holding.signal()
                    release.wait()
                }
                holders.leave()
            }.start()
        }
        for _ in 0..<sessions { holding.wait() }
        return {
            for _ in 0..<sessions { release.signal() }
            holders.wait()
        }
    }
}

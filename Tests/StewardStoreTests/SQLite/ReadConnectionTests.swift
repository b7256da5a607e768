import Dispatch
import Foundation
import StewardStore
import Testing

@Suite("SQLite store: reads beside a long write", .timeLimit(.minutes(1)))
struct ReadConnectionTests {
    /// A write transaction is held open on another thread while this one
    /// reads. Were reads and writes one connection under one lock, the read
    /// would wait for the write to finish, which waits for the read: the
    /// suite's time limit would fail the test.
    @Test("A read is answered while a write transaction is open, from the last committed snapshot")
    func readDuringWrite() throws {
        let test = try SQLiteTestStore()
        let store = test.store
        try store.createUser(name: "before", uid: 2001, permissions: [.userAdmin])
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let writerDone = DispatchSemaphore(value: 0)
        Thread {
            _ = try? store.withDatabase { database in
                try database.execute(script: "BEGIN IMMEDIATE")
                _ = try database.run("INSERT INTO users (name, uid, created_at) VALUES ('during', 2002, 0)")
                inside.signal()
                release.wait()
                try database.execute(script: "COMMIT")
            }
            writerDone.signal()
        }.start()
        inside.wait()
        #expect(try store.user(uid: 2001)?.name == "before")
        #expect(try store.user(uid: 2002) == nil, "an uncommitted row is not read")
        release.signal()
        writerDone.wait()
        #expect(try store.user(uid: 2002)?.name == "during", "once committed, the next read sees it")
    }

    /// Every open checks whether legacy passwords still need resealing. That
    /// check reads a marker; were it made under the write lock, an open
    /// beside a writer would wait for it and fail as busy.
    @Test("A store opens while another connection holds the write lock")
    func openBesideWriter() throws {
        let test = try SQLiteTestStore()
        let writer = try SQLiteDatabase(path: test.path, create: false)
        defer { writer.close() }
        try writer.execute(script: "BEGIN IMMEDIATE")
        defer { try? writer.execute(script: "ROLLBACK") }
        let second = try SQLiteRegistryStore(path: test.path, key: test.key)
        defer { second.close() }
        #expect(try second.listUsers(page: PageRequest()).items.isEmpty)
    }
}

import StewardStore
import Testing

@Suite("Reads remembered until the next write")
struct CommittedReadCacheTests {
    /// Counts the loads a cache makes.
    final class Loads {
        var count = 0
        func value(_ value: String) -> String {
            count += 1
            return value
        }
    }

    @Test("A value is read once while nothing is written, and afresh after each write")
    func readOnceUntilWrite() {
        let commits = CommitCounter()
        let cache = CommittedReadCache<Int, String>(commits: commits, capacity: 8)
        let loads = Loads()
        #expect(cache.value(for: 1) { loads.value("a") } == "a")
        #expect(cache.value(for: 1) { loads.value("b") } == "a")
        #expect(loads.count == 1)
        commits.advance()
        #expect(cache.value(for: 1) { loads.value("b") } == "b")
        #expect(cache.value(for: 1) { loads.value("c") } == "b")
        #expect(loads.count == 2)
    }

    @Test("A write that ends while a value is read leaves that value to be read again")
    func writeDuringRead() {
        let commits = CommitCounter()
        let cache = CommittedReadCache<Int, String>(commits: commits, capacity: 8)
        let loads = Loads()
        // The write ends between the count being read and the value stored.
        #expect(cache.value(for: 1) { () -> String in commits.advance(); return loads.value("old") } == "old")
        #expect(cache.value(for: 1) { loads.value("new") } == "new")
        #expect(cache.value(for: 1) { loads.value("newer") } == "new")
        #expect(loads.count == 2)
    }

    @Test("A failed read is not remembered")
    func failuresAreNotKept() throws {
        struct Failure: Error {}
        let cache = CommittedReadCache<Int, String>(commits: CommitCounter(), capacity: 8)
        #expect(throws: Failure.self) { try cache.value(for: 1) { () throws(Failure) -> String in throw Failure() } }
        #expect(cache.value(for: 1) { "found" } == "found")
    }

    @Test("When full, the cache starts again instead of growing")
    func bounded() {
        let cache = CommittedReadCache<Int, String>(commits: CommitCounter(), capacity: 2)
        let loads = Loads()
        _ = cache.value(for: 1) { loads.value("1") }
        _ = cache.value(for: 2) { loads.value("2") }
        _ = cache.value(for: 2) { loads.value("2") }
        #expect(loads.count == 2)
        _ = cache.value(for: 3) { loads.value("3") }  // full: emptied, then 3 kept
        _ = cache.value(for: 1) { loads.value("1") }
        _ = cache.value(for: 3) { loads.value("3") }
        #expect(loads.count == 4)
    }
}

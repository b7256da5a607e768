import Synchronization

/// Counts the write transactions a store has ended (committed or not) on a
/// database that this process alone writes: while the count stands still,
/// nothing a read returned has changed.
///
/// The store advances it after a transaction ends and before the writer
/// returns, so a caller answered after a write (a grant, a revoke, a new
/// user) finds the count moved on its very next call.
package final class CommitCounter: Sendable {
    private let count = Atomic<UInt64>(0)

    package init() {}

    package var current: UInt64 { count.load(ordering: .acquiring) }

    package func advance() {
        count.add(1, ordering: .releasing)
    }
}

/// Results of one kind of read, kept until the next write transaction ends,
/// for the lookups most calls make (who the caller is, the Gets' records):
/// answered from memory, one costs no read transaction, no statement and no
/// MAC check.
///
/// Sound only where ``CommitCounter`` sees every write: the embedded SQLite
/// store, which the state directory's lock keeps to one daemon. A shared
/// registry is written by other daemons too, so it keeps no such cache.
///
/// Why the count is read before the read: a write that ends between the two
/// leaves the entry tagged with the older count, so it is read afresh next
/// time; an entry can never carry a count newer than the data it holds.
package final class CommittedReadCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var commits: UInt64
        var value: Value
    }

    private let commits: CommitCounter
    private let capacity: Int
    /// Read by every call, written when an entry is (re)loaded.
    private let entries: ReadWriteLock<[Key: Entry]>

    /// `capacity` bounds the entries: when full, the table is emptied and
    /// refilled by the lookups that follow (there are as many keys as users).
    package init(commits: CommitCounter, capacity: Int) {
        self.commits = commits
        self.capacity = capacity
        self.entries = ReadWriteLock([:])
    }

    /// The value for `key`: remembered if nothing was written since it was
    /// read, otherwise `load()`ed (and remembered).
    package func value<Failure: Error>(for key: Key, load: () throws(Failure) -> Value) throws(Failure) -> Value {
        let now = commits.current
        if let hit = entries.read({ $0[key] }), hit.commits == now { return hit.value }
        let value = try load()
        entries.write { entries in
            if entries.count >= capacity && entries[key] == nil { entries.removeAll(keepingCapacity: true) }
            // A newer entry (loaded after a later write) is not replaced.
            if let present = entries[key], present.commits > now { return }
            entries[key] = Entry(commits: now, value: value)
        }
        return value
    }
}

/// The reads that every call, or every read-only call, makes, remembered
/// until the next write transaction ends (``CommittedReadCache``): who the
/// caller is, and the records of Connections.Get and Users.Get. Kept only
/// by the embedded store, which this process alone writes.
///
/// A remembered record costs a lookup; read afresh it costs a read
/// transaction, its statements and the MAC checks, about 20 µs on a thread
/// that was asleep: as much again as the rest of the call.
final class RegistryReadCaches: Sendable {
    /// The caller lookup, by uid; nil when there is no such user.
    let callersByUID: CommittedReadCache<UInt32, UserQueries.Loaded?>
    /// A user with their mappings, by name (a missing user is not kept).
    let usersWithMappings: CommittedReadCache<String, UserQueries.LoadedWithMappings>
    /// A connection with its newest validation report, by key.
    let connectionsWithReport: CommittedReadCache<String, ConnectionWithLatestReport>

    /// Entries each cache keeps before it starts again: well above the
    /// users and connections most registries hold; each entry is a record
    /// of a few kilobytes at most.
    static let capacity = 4_096

    init(commits: CommitCounter) {
        callersByUID = CommittedReadCache(commits: commits, capacity: Self.capacity)
        usersWithMappings = CommittedReadCache(commits: commits, capacity: Self.capacity)
        connectionsWithReport = CommittedReadCache(commits: commits, capacity: Self.capacity)
    }
}

/// What Connections.Get answers with.
struct ConnectionWithLatestReport: Sendable {
    var connection: ConnectionRecord
    var report: ValidationReport?
}

extension RegistryReadCaches? {
    /// `read()`, or the value `cache` of these caches remembers for `key`.
    func value<Key, Value>(
        _ cache: KeyPath<RegistryReadCaches, CommittedReadCache<Key, Value>>, for key: Key,
        read: () throws(StoreError) -> Value
    ) throws(StoreError) -> Value {
        guard let caches = self else { return try read() }
        return try caches[keyPath: cache].value(for: key, load: read)
    }
}

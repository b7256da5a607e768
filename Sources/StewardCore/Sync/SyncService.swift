import StewardModel
import StewardPostgres
import StewardStore
import StewardWire

/// Object sync: every table an ACTIVE connection's role can select from
/// becomes a data source named `<key>.<database>.<schema>.<table>`. Sync is
/// incremental (new tables added, missing ones DISABLED, column changes
/// recorded) and a sync that finds no change writes nothing. A database
/// that cannot be scanned keeps its data sources as they were.
///
/// A scan that the connection outgrew while it ran (an update, a recheck,
/// a deactivation) is refused ABORTED rather than stored. With a shared
/// registry a sync holds the connection's work lease (``ConnectionLeases``)
/// from before its scan to its store, which is fenced by it: two syncs of
/// one connection never both store, whichever daemons run them.
public struct SyncService: Sendable {
    let store: any RegistryStore
    let scanner: any TableScanner
    let audit: AuditTrail

    /// How long a sync may take when the call gives no deadline.
    public static let defaultMilliseconds = 60_000

    /// - Parameter audit: where events go; by default straight to `store`.
    public init(store: any RegistryStore, scanner: any TableScanner, audit: AuditTrail? = nil) {
        self.store = store
        self.scanner = scanner
        self.audit = audit ?? AuditTrail(store: store)
    }

    /// What happened to one governed database.
    public enum Event: Sendable {
        /// `refused`: tables whose names cannot be stored (``SyncNameRules``), shown escaped.
        case scanned(database: String, tables: Int, refused: [String])
        case failed(database: String, DomainError)
    }

    public struct Outcome: Sendable {
        public var summary: DataSourceSyncSummary
        /// Governed databases that could not be scanned.
        public var notScanned: [String]
    }

    /// Scans the governed databases (a few at once, ``ConcurrentScans``),
    /// telling `progress` as each one is done, in the order they are
    /// governed, then stores what was found in one transaction. Fails when no
    /// database could be scanned; otherwise reports the ones that could not.
    public func sync(
        key: String, call: AuditedCall, deadline: Deadline, progress: @Sendable (Event) async throws(DomainError) -> Void
    ) async throws(DomainError) -> Outcome {
        try await audit.audited(call) { () async throws(DomainError) in
            try call.caller.require(.applicationAdmin, to: "sync connections")
            guard let leases = store.leases else { return try await scanAndStore(key: key, deadline: deadline, progress: progress) }
            return try await ConnectionWorkLease.holding(key, leases: leases, deadline: deadline) { () async throws(DomainError) in
                try await scanAndStore(key: key, deadline: deadline, progress: progress)
            }
        }
    }

    private func scanAndStore(
        key: String, deadline: Deadline, progress: @Sendable (Event) async throws(DomainError) -> Void
    ) async throws(DomainError) -> Outcome {
        do {  // a block of its own: this was the audited call's body, and keeps its indentation
            let record = try storeCall { () throws(StoreError) in try store.connection(key: key) }
            guard record.state == .active else {
                throw .failedPrecondition(
                    "connection \"\(key)\" is \(record.state.rawValue); only ACTIVE connections are synced (validate and complete setup first)")
            }
            let password = try storeCall { () throws(StoreError) in try store.connectionPassword(key: key, for: record.settings) }
            let known = try storeCall { () throws(StoreError) in try store.schemaDigests(connectionKey: key) }
            var knownByDatabase: [String: [String: String]] = [:]
            for digest in known { knownByDatabase[digest.database, default: [:]][digest.schema] = digest.digest }
            var tables: [DiscoveredTable] = []
            var scope = DataSourceSyncScope()
            var digests: [SchemaDigestRecord] = []
            var unchanged = 0
            var scanned: Set<String> = []
            var failures: [(database: String, error: DomainError)] = []
            let (settings, secret, scanner) = (record.settings, password.exposedValue, self.scanner)
            let knownDigests = knownByDatabase
            try await ConcurrentScans.run(settings.governedDatabases) { database in
                do throws(DomainError) {
                    return .success(try await scanner.scan(
                        in: database, settings: settings, password: secret, known: knownDigests[database] ?? [:],
                        deadline: deadline))
                } catch {
                    return .failure(error)
                }
            } deliver: { (database, result) throws(DomainError) in
                do throws(DomainError) {
                    let scan = try result.get()
                    let (found, refused) = SyncNameRules.partition(scan.tables)
                    tables += found
                    if let schemas = scan.schemasRead {
                        scope.schemas[database] = schemas
                    } else {
                        scope.databases.insert(database)
                    }
                    // A schema's name is stored with its digest: one that
                    // holds a control character is not (its tables are not
                    // stored either, so it is read again next time).
                    digests += scan.digests.filter { SyncNameRules.isStorable($0.key) }.map {
                        SchemaDigestRecord(database: database, schema: $0.key, digest: $0.value.digest, tables: $0.value.tables)
                    }
                    unchanged += scan.unchangedTables
                    scanned.insert(database)
                    try await progress(.scanned(database: database, tables: found.count + scan.unchangedTables, refused: refused))
                } catch where error.code == .cancelled {
                    throw error
                } catch {
                    failures.append((database, error))
                    try await progress(.failed(database: database, error))
                }
            }
            guard !scanned.isEmpty else {
                let first = failures.first?.error ?? DomainError(.failedPrecondition, "the connection governs no database")
                throw DomainError(first.code, "no governed database could be scanned: \(first.message)")
            }
            // A call already answered (its deadline passed, or it was
            // cancelled) must not store what the caller was told failed.
            guard !Task.isCancelled else { throw DomainError(.cancelled, "the sync's call ended before it was stored") }
            // What was scanned must still describe the connection: an update,
            // a deactivation or a recheck during the scan makes it stale.
            let current = try storeCall { () throws(StoreError) in try store.connection(key: key) }
            guard current.revision == record.revision, current.state == .active else {
                throw DomainError(
                    .aborted,
                    "connection \"\(key)\" changed while it was being synced (now \(current.state.rawValue), revision \(current.revision)); nothing was stored: sync again")
            }
            // A database taken out of governance (by an update) has no tables
            // to govern any more: counting it as scanned whole and empty
            // DISABLEs its data sources (and drops its digests).
            let withDigests = Set(known.map(\.database))
            let enabled = try storeCall { () throws(StoreError) in try store.enabledDataSourceDatabases(connectionKey: key) }
            scope.databases.formUnion(enabled.union(withDigests).subtracting(current.settings.governedDatabases))
            scope.schemas = scope.schemas.filter { !scope.databases.contains($0.key) && !$0.value.isEmpty }
            var summary = DataSourceSyncSummary()
            if !scope.isEmpty {
                let (found, chosen, storable) = (tables, scope, digests)
                summary = try storeCall { () throws(StoreError) in
                    try store.syncDataSources(connectionKey: key, scope: chosen, tables: found, digests: storable)
                }
            }
            summary.unchanged += unchanged
            return Outcome(summary: summary, notScanned: failures.map(\.database))
        }
    }
}

extension SyncService {
    /// What a database's scan report says about tables it refused, or nil.
    public static func note(refused: [String]) -> String? {
        SyncNameRules.note(refused)
    }
}

/// What a sync read, and so what it may change: the data sources of whole
/// databases, and of single schemas of others. A data source outside the
/// scope is left exactly as it is (its schema's digest matched, or its
/// database could not be scanned).
public struct DataSourceSyncScope: Sendable, Hashable {
    /// Databases read whole: every data source in them is compared with
    /// what was found, and their schema digests are replaced.
    public var databases: Set<String>
    /// By database (one not in `databases`): the schemas read, or found
    /// gone, whose data sources and digests are compared and replaced.
    public var schemas: [String: Set<String>]

    public init(databases: Set<String> = [], schemas: [String: Set<String>] = [:]) {
        self.databases = databases
        self.schemas = schemas.filter { !$0.value.isEmpty && !databases.contains($0.key) }
    }

    public var isEmpty: Bool { databases.isEmpty && schemas.isEmpty }

    public func contains(database: String, schema: String) -> Bool {
        databases.contains(database) || schemas[database]?.contains(schema) == true
    }

    /// The schemas read, as (database, schema) pairs in a stable order.
    var schemaPairs: [(database: String, schema: String)] {
        schemas.keys.sorted().flatMap { database in schemas[database]!.sorted().map { (database, $0) } }
    }
}

/// One schema as the last sync that read it found it: the server's digest
/// of everything stored about its relations
/// (`PostgresCatalog.schemaDigests`) and how many it held. A later sync
/// that finds the same digest has nothing to change there.
public struct SchemaDigestRecord: Sendable, Hashable {
    public var database: String
    public var schema: String
    /// 64 lowercase hex digits (SHA-256).
    public var digest: String
    public var tables: Int

    public init(database: String, schema: String, digest: String, tables: Int) {
        self.database = database
        self.schema = schema
        self.digest = digest
        self.tables = tables
    }
}

extension RegistryStore {
    /// A sync that read `scannedDatabases` whole and stores no digests (so
    /// the next sync of them reads them whole again).
    @discardableResult
    public func syncDataSources(
        connectionKey: String, scannedDatabases: Set<String>, tables: [DiscoveredTable]
    ) throws(StoreError) -> DataSourceSyncSummary {
        try syncDataSources(
            connectionKey: connectionKey, scope: DataSourceSyncScope(databases: scannedDatabases), tables: tables,
            digests: [])
    }
}

extension DataSourceSyncScope {
    /// What every backend refuses in a scoped sync's input, with the same
    /// words: a table or digest outside the scope, a table listed twice, a
    /// digest that is not 64 hex digits or counts fewer than no tables.
    func checkSyncInput(_ tables: [DiscoveredTable], digests: [SchemaDigestRecord]) throws(StoreError) {
        for table in tables where !contains(database: table.database, schema: table.schema) {
            throw StoreError(
                .invalidArgument,
                "table \(table.schema).\(table.table) is in database \"\(table.database)\", "
                    + "which the sync did not scan")
        }
        try DiscoveredTable.checkSyncInput(tables, scannedDatabases: Set(tables.map(\.database)))
        var seen = Set<[String]>()
        for digest in digests {
            guard contains(database: digest.database, schema: digest.schema) else {
                throw StoreError(
                    .invalidArgument,
                    "schema \(digest.database).\(digest.schema) has a digest but the sync did not read it")
            }
            guard digest.digest.utf8.count == 64, digest.digest.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
                digest.tables >= 0
            else {
                throw StoreError(.invalidArgument, "schema \(digest.database).\(digest.schema) has a malformed digest")
            }
            guard seen.insert([digest.database, digest.schema]).inserted else {
                throw StoreError(.invalidArgument, "schema \(digest.database).\(digest.schema) has two digests")
            }
        }
    }
}

/// How a scope's stored schema digests become the new ones, written as
/// little as possible: a sync that finds no change writes nothing, digests
/// included.
struct SchemaDigestChanges: Equatable {
    /// (database, schema) pairs whose stored digest goes, ordered.
    var removed: [[String]] = []
    /// Digests to store (after `removed` are gone), ordered.
    var stored: [SchemaDigestRecord] = []

    /// `before`: the digests stored inside the scope; `after`: the sync's.
    init(before: [SchemaDigestRecord], after: [SchemaDigestRecord]) {
        let old = Dictionary(before.map { ([$0.database, $0.schema], $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(after.map { ([$0.database, $0.schema], $0) }, uniquingKeysWith: { first, _ in first })
        removed = old.filter { new[$0.key] != $0.value }.keys.sorted { $0.lexicographicallyPrecedes($1) }
        stored = new.filter { old[$0.key] != $0.value }.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map(\.value)
    }

    var isEmpty: Bool { removed.isEmpty && stored.isEmpty }
}

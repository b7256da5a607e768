import StewardModel

/// What a data-source sync changes, computed from the stored data sources
/// (of the scanned databases only) and the tables a scan found — a pure
/// value, so the rule lives here once and each store only applies it.
///
/// The rule: a table not stored is added; a stored one found again is
/// updated when it was not ENABLED, its column list (by position) differs,
/// its kind differs, or it becomes governable, and unchanged otherwise; an
/// ENABLED one not found is disabled (never deleted, so its grants survive
/// a table that comes back).
///
/// Governable: a table added, or found again after it was DISABLED (a new
/// table of the same name), is governable as the scan found it; an ENABLED
/// one that was governable stays so (``DataSourceRecord/governable``).
struct DataSourceSyncPlan: Sendable, Hashable {
    /// A data source as stored, as much as the plan needs.
    struct Stored: Sendable, Hashable {
        var id: Int64
        var name: String
        var enabled: Bool
        var kind: RelationKind?
        var governable: Bool
        /// Its column list as stored (``ColumnListText``).
        var columns: String
    }

    /// A stored data source found again that changes.
    struct Update: Sendable, Hashable {
        /// Index into the scanned tables.
        var index: Int
        var id: Int64
        /// The column list differs, so the stored columns are replaced.
        var replacesColumns: Bool
        /// What the data source's governable becomes.
        var governable: Bool
    }

    /// An ENABLED data source the scan did not find.
    struct Disable: Sendable, Hashable {
        var id: Int64
        var name: String
    }

    /// Indexes into the scanned tables, ascending (so ids follow the order given).
    var added: [Int] = []
    /// Ascending by index.
    var updated: [Update] = []
    /// Ascending by id.
    var disabled: [Disable] = []
    var unchanged = 0

    init(added: [Int] = [], updated: [Update] = [], disabled: [Disable] = [], unchanged: Int = 0) {
        self.added = added
        self.updated = updated
        self.disabled = disabled
        self.unchanged = unchanged
    }

    /// `columns(i)` is `tables[i]`'s column list as it would be stored
    /// (``ColumnListText``, columns by position), asked for only for tables
    /// stored before: a first sync compares none. `stored` holds the data
    /// sources of the scanned databases only (a database the scan did not
    /// reach disables nothing).
    init(
        tables: [DiscoveredTable], columns: (_ index: Int) throws(StoreError) -> String, stored: [TableKey: Stored]
    ) throws(StoreError) {
        // The stored keys found again (not every key found: a first sync
        // stores nothing, and hashes each table once, here, not twice).
        var seen = Set<TableKey>()
        for (index, table) in tables.enumerated() {
            guard !stored.isEmpty, case let key = TableKey(table), let existing = stored[key] else {
                added.append(index)
                continue
            }
            seen.insert(key)
            let replacesColumns = try existing.columns != columns(index)
            let governable = Self.governable(stored: existing, found: table)
            if existing.enabled && !replacesColumns && existing.kind == table.kind && existing.governable == governable {
                unchanged += 1
            } else {
                updated.append(Update(index: index, id: existing.id, replacesColumns: replacesColumns, governable: governable))
            }
        }
        disabled = stored.filter { $0.value.enabled && !seen.contains($0.key) }
            .map { Disable(id: $0.value.id, name: $0.value.name) }.sorted { $0.id < $1.id }
    }

    /// What a stored data source found again is: once governed, governed
    /// while it stays ENABLED; a DISABLED one found again is a new table.
    static func governable(stored: Stored, found: DiscoveredTable) -> Bool {
        stored.enabled ? stored.governable || found.governable : found.governable
    }

    /// The summary a sync reports: names sorted in each list.
    func summary(connectionKey: String, tables: [DiscoveredTable]) -> DataSourceSyncSummary {
        func name(_ index: Int) -> String {
            let table = tables[index]
            return DataSourceRecord.name(
                connectionKey: connectionKey, database: table.database, schema: table.schema, table: table.table)
        }
        return DataSourceSyncSummary(
            added: added.map(name).sorted(), updated: updated.map { name($0.index) }.sorted(),
            disabled: disabled.map(\.name).sorted(), unchanged: unchanged)
    }
}

extension DataSourceSyncPlan {
    /// Refuses, as ``checkColumns(_:)`` does, the first table (in the order
    /// given) whose column list this plan writes: an added table, or one
    /// whose list changed. `columnsByPosition[i]` is table `i`'s columns.
    func checkWrittenColumns(_ columnsByPosition: [[ColumnRecord]]) throws(StoreError) {
        try Self.checkColumns(
            (added + updated.filter(\.replacesColumns).map(\.index)).sorted().lazy.map { columnsByPosition[$0] })
    }

    /// Refuses the first column (tables in the order given, columns by
    /// position) whose position is below 1, or that repeats an earlier
    /// column's name or position in its table: no stored column list holds
    /// one (``ColumnListText``). Names compare as PostgreSQL compares them
    /// here ("C" collation: byte for byte).
    static func checkColumns(_ tables: some Sequence<[ColumnRecord]>) throws(StoreError) {
        for columns in tables {
            // Most tables have a few columns: compared pairwise they need
            // no set built (a first sync checks every table).
            let small = columns.count <= 16
            var positions = Set<Int>()
            var names = Set<[UInt8]>()
            for (index, column) in columns.enumerated() {
                guard column.position >= 1 else {
                    throw StoreError(
                        .invalidArgument, "column \"\(column.name)\" has position \(column.position); positions start at 1")
                }
                let repeats = small
                    ? columns[..<index].contains { $0.position == column.position || $0.name.utf8.elementsEqual(column.name.utf8) }
                    : !positions.insert(column.position).inserted || !names.insert(Array(column.name.utf8)).inserted
                if repeats {
                    throw StoreError(
                        .invalidArgument,
                        "column \"\(column.name)\" (position \(column.position)) repeats a column name or position")
                }
            }
        }
    }
}

extension DiscoveredTable {
    /// Its columns ordered by position: the array itself when it already
    /// is (as a scan gives it), so that a large sync does not copy them all.
    var columnsByPosition: [ColumnRecord] {
        zip(columns, columns.dropFirst()).allSatisfy { $0.position <= $1.position }
            ? columns : columns.sorted { $0.position < $1.position }
    }
}

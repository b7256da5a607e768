import Foundation

extension SQLiteRegistryStore {
    @discardableResult
    public func syncDataSources(
        connectionKey: String, scannedDatabases: Set<String>, tables: [DiscoveredTable]
    ) throws(StoreError) -> DataSourceSyncSummary {
        try DiscoveredTable.checkSyncInput(tables, scannedDatabases: scannedDatabases)
        let seen = Set(tables.map(TableKey.init))
        let now = now()
        return try write { database in
            let connectionID = try Self.connectionID(key: connectionKey, in: database)
            let existing = try Self.loadDataSources(connectionID: connectionID, in: database)
                .filter { scannedDatabases.contains($0.key.database) }
            var summary = DataSourceSyncSummary()
            for table in tables {
                let columns = table.columns.sorted { $0.position < $1.position }
                let name = DataSourceRecord.name(
                    connectionKey: connectionKey, database: table.database, schema: table.schema,
                    table: table.table)
                guard let stored = existing[TableKey(table)] else {
                    try database.run(
                        """
                        INSERT INTO data_sources (connection_id, database_name, schema_name, table_name,
                            name, state, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, 'ENABLED', ?, ?)
                        """, connectionID, table.database, table.schema, table.table, name,
                        now.microseconds, now.microseconds)
                    try Self.insertColumns(columns, dataSourceID: database.lastInsertRowID, in: database)
                    summary.added.append(name)
                    continue
                }
                guard stored.state != .enabled || stored.columns != columns else {
                    summary.unchanged += 1
                    continue
                }
                try database.run(
                    "UPDATE data_sources SET state = 'ENABLED', updated_at = ? WHERE id = ?",
                    now.microseconds, stored.id)
                if stored.columns != columns {
                    try database.run("DELETE FROM data_source_columns WHERE data_source_id = ?", stored.id)
                    try Self.insertColumns(columns, dataSourceID: stored.id, in: database)
                }
                summary.updated.append(name)
            }
            for (key, stored) in existing where stored.state == .enabled && !seen.contains(key) {
                try database.run(
                    "UPDATE data_sources SET state = 'DISABLED', updated_at = ? WHERE id = ?",
                    now.microseconds, stored.id)
                summary.disabled.append(stored.name)
            }
            summary.added.sort()
            summary.updated.sort()
            summary.disabled.sort()
            return summary
        }
    }

    public func dataSource(name: String) throws(StoreError) -> DataSourceRecord {
        try read { database in
            let records = try database.query(
                "\(Self.dataSourceSelect) WHERE d.name = ? ORDER BY d.id LIMIT 2", name, as: Self.dataSourceRow)
            guard let record = records.first else { throw StoreError(.notFound, "no data source named \"\(name)\"") }
            guard records.count == 1 else { throw StoreError.ambiguousDataSourceName(name) }
            return try Self.withColumns(record, in: database)
        }
    }

    public func listDataSources(_ filter: DataSourceFilter, page: PageRequest) throws(StoreError)
        -> Page<DataSourceRecord>
    {
        var conditions: [String] = []
        var values: [any SQLiteBindable] = []
        if let key = filter.connectionKey {
            conditions.append("c.key = ?")
            values.append(key)
        }
        if let prefix = filter.namePrefix, !prefix.isEmpty {
            conditions.append("d.name GLOB ?")
            values.append(Self.globPrefix(prefix))
        }
        if let state = filter.state {
            conditions.append("d.state = ?")
            values.append(state.rawValue)
        }
        if let token = page.token {
            let position = try PageToken.decode(token, kind: "data-sources", count: 2)
            guard let id = Int64(position[1]) else {
                throw StoreError(.invalidArgument, "the page token is not one this list issued")
            }
            conditions.append("(d.name > ? OR (d.name = ? AND d.id > ?))")
            values += [position[0], position[0], id]
        }
        let size = page.effectiveSize
        values.append(size + 1)
        let sql = """
            \(Self.dataSourceSelect)
            WHERE \(conditions.isEmpty ? "1" : conditions.joined(separator: " AND "))
            ORDER BY d.name, d.id LIMIT ?
            """
        let boundValues = values
        let rows = try read { database in
            try database.query(sql, values: boundValues, as: Self.dataSourceRow).map { row in
                (row.id, try Self.withColumns(row, in: database))
            }
        }
        let items = rows.prefix(size)
        let next = rows.count > size
            ? items.last.map {
                PageToken(kind: "data-sources", position: [$0.1.name, String($0.0)]).encoded
            } : nil
        return Page(items: items.map(\.1), nextPageToken: next)
    }
}

// MARK: - Shared steps

extension SQLiteRegistryStore {

    struct StoredDataSource {
        var id: Int64
        var name: String
        var state: DataSourceState
        var columns: [ColumnRecord]
    }

    static let dataSourceSelect = """
        SELECT d.id, d.name, c.key, d.database_name, d.schema_name, d.table_name, d.state,
            d.created_at, d.updated_at
        FROM data_sources AS d JOIN connections AS c ON c.id = d.connection_id
        """

    static func dataSourceRow(_ row: SQLiteRow) throws -> (id: Int64, record: DataSourceRecord) {
        let record = DataSourceRecord(
            name: row.text(1), connectionKey: row.text(2), database: row.text(3), schema: row.text(4),
            table: row.text(5), state: try row.value(DataSourceState.self, 6), columns: [],
            createdAt: StoreTime.date(row.int64(7)), updatedAt: StoreTime.date(row.int64(8)))
        return (row.int64(0), record)
    }

    static func withColumns(_ row: (id: Int64, record: DataSourceRecord), in database: SQLiteDatabase)
        throws -> DataSourceRecord
    {
        var record = row.record
        record.columns = try database.query(
            "SELECT name, type, position FROM data_source_columns WHERE data_source_id = ? ORDER BY position",
            row.id
        ) { ColumnRecord(name: $0.text(0), type: $0.text(1), position: $0.int(2)) }
        return record
    }

    /// The connection's data sources with their columns, in two queries.
    static func loadDataSources(connectionID: Int64, in database: SQLiteDatabase) throws
        -> [TableKey: StoredDataSource]
    {
        var byID: [Int64: (TableKey, StoredDataSource)] = [:]
        let rows = try database.query(
            """
            SELECT id, database_name, schema_name, table_name, name, state FROM data_sources
            WHERE connection_id = ?
            """, connectionID
        ) { row in
            (
                TableKey(database: row.text(1), schema: row.text(2), table: row.text(3)),
                StoredDataSource(
                    id: row.int64(0), name: row.text(4), state: try row.value(DataSourceState.self, 5),
                    columns: [])
            )
        }
        for row in rows { byID[row.1.id] = row }
        let columns = try database.query(
            """
            SELECT k.data_source_id, k.name, k.type, k.position
            FROM data_source_columns AS k JOIN data_sources AS d ON d.id = k.data_source_id
            WHERE d.connection_id = ? ORDER BY k.data_source_id, k.position
            """, connectionID
        ) { ($0.int64(0), ColumnRecord(name: $0.text(1), type: $0.text(2), position: $0.int(3))) }
        for (id, column) in columns { byID[id]?.1.columns.append(column) }
        return Dictionary(uniqueKeysWithValues: byID.values.map { ($0.0, $0.1) })
    }

    static func insertColumns(_ columns: [ColumnRecord], dataSourceID: Int64, in database: SQLiteDatabase)
        throws
    {
        for column in columns {
            do {
                try database.run(
                    """
                    INSERT INTO data_source_columns (data_source_id, position, name, type)
                    VALUES (?, ?, ?, ?)
                    """, dataSourceID, column.position, column.name, column.type)
            } catch let error as SQLiteError where error.isUniqueViolation {
                throw StoreError(
                    .invalidArgument,
                    "column \"\(column.name)\" (position \(column.position)) repeats a column name or position",
                    detail: error.description)
            }
        }
    }

    /// A GLOB pattern matching names that start with `prefix` exactly:
    /// GLOB is case-sensitive, and its wildcards are escaped as one-character
    /// sets (`[*]`, `[?]`, `[[]`).
    static func globPrefix(_ prefix: String) -> String {
        var pattern = ""
        for character in prefix {
            switch character {
            case "*", "?", "[": pattern += "[\(character)]"
            default: pattern.append(character)
            }
        }
        return pattern + "*"
    }
}

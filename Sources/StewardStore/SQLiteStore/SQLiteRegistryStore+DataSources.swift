import Foundation
import StewardModel

extension SQLiteRegistryStore {
    @discardableResult
    public func syncDataSources(
        connectionKey: String, scannedDatabases: Set<String>, tables: [DiscoveredTable]
    ) throws(StoreError) -> DataSourceSyncSummary {
        try DiscoveredTable.checkSyncInput(tables, scannedDatabases: scannedDatabases)
        let columns = tables.map { table in table.columns.sorted { $0.position < $1.position } }
        let now = now()
        return try write { database in
            let connectionID = try Self.connectionID(key: connectionKey, in: database)
            let stored = try Self.loadDataSources(connectionID: connectionID, in: database)
                .filter { scannedDatabases.contains($0.key.database) }
            let plan = DataSourceSyncPlan(tables: tables, columns: columns, stored: stored)
            let updates = Dictionary(uniqueKeysWithValues: plan.updated.map { ($0.index, $0) })
            // In the order given: ids follow it, and a bad column list is
            // reported for the first table that has one.
            for index in (plan.added + updates.keys).sorted() {
                let table = tables[index]
                guard let update = updates[index] else {
                    try database.run(
                        """
                        INSERT INTO data_sources (connection_id, database_name, schema_name, table_name,
                            name, state, kind, governable, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, 'ENABLED', ?, ?, ?, ?)
                        """, connectionID, table.database, table.schema, table.table,
                        DataSourceRecord.name(
                            connectionKey: connectionKey, database: table.database, schema: table.schema,
                            table: table.table),
                        table.kind.rawValue, table.governable ? 1 : 0, now.microseconds, now.microseconds)
                    try Self.insertColumns(columns[index], dataSourceID: database.lastInsertRowID, in: database)
                    continue
                }
                try database.run(
                    "UPDATE data_sources SET state = 'ENABLED', kind = ?, governable = ?, updated_at = ? WHERE id = ?",
                    table.kind.rawValue, update.governable ? 1 : 0, now.microseconds, update.id)
                if update.replacesColumns {
                    try database.run("DELETE FROM data_source_columns WHERE data_source_id = ?", update.id)
                    try Self.insertColumns(columns[index], dataSourceID: update.id, in: database)
                }
            }
            for gone in plan.disabled {
                try database.run(
                    "UPDATE data_sources SET state = 'DISABLED', updated_at = ? WHERE id = ?",
                    now.microseconds, gone.id)
            }
            return plan.summary(connectionKey: connectionKey, tables: tables)
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
        let query = try DataSourceQuery(filter, page: page, select: Self.dataSourceSelect, dialect: .sqlite)
        let rows = try read { database in
            try database.query(query.statement.sql, values: query.statement.parameters, as: Self.dataSourceRow)
                .map { row in (id: row.id, record: try Self.withColumns(row, in: database)) }
        }
        return query.page(of: rows)
    }
}

// MARK: - Shared steps

extension SQLiteRegistryStore {

    static let dataSourceSelect = """
        SELECT d.id, d.name, c.key, d.database_name, d.schema_name, d.table_name, d.state,
            d.created_at, d.updated_at, d.kind, d.governable
        FROM data_sources AS d JOIN connections AS c ON c.id = d.connection_id
        """

    static func dataSourceRow(_ row: SQLiteRow) throws -> (id: Int64, record: DataSourceRecord) {
        let record = DataSourceRecord(
            name: row.text(1), connectionKey: row.text(2), database: row.text(3), schema: row.text(4),
            table: row.text(5), state: try row.value(DataSourceState.self, 6),
            kind: row.isNull(9) ? nil : try row.value(RelationKind.self, 9), governable: row.int64(10) != 0, columns: [],
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
        -> [TableKey: DataSourceSyncPlan.Stored]
    {
        var byID: [Int64: (TableKey, DataSourceSyncPlan.Stored)] = [:]
        let rows = try database.query(
            """
            SELECT id, database_name, schema_name, table_name, name, state, kind, governable FROM data_sources
            WHERE connection_id = ?
            """, connectionID
        ) { row in
            (
                TableKey(database: row.text(1), schema: row.text(2), table: row.text(3)),
                DataSourceSyncPlan.Stored(
                    id: row.int64(0), name: row.text(4),
                    enabled: try row.value(DataSourceState.self, 5) == .enabled,
                    kind: row.isNull(6) ? nil : try row.value(RelationKind.self, 6), governable: row.int64(7) != 0,
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
}

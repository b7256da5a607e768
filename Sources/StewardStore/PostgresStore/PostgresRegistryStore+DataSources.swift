import Foundation
import StewardPostgres

extension PostgresRegistryStore {
    /// Race: two daemons syncing one connection. The connection's row is
    /// locked first (`FOR NO KEY UPDATE`), so syncs of a connection run one
    /// after the other, each reading what the previous one committed
    /// (READ COMMITTED takes a fresh snapshot per statement); the unique
    /// (connection, database, schema, table) constraint backs this up.
    @discardableResult
    public func syncDataSources(
        connectionKey: String, scannedDatabases: Set<String>, tables: [DiscoveredTable]
    ) throws(StoreError) -> DataSourceSyncSummary {
        var seen = Set<TableKey>()
        for table in tables {
            guard scannedDatabases.contains(table.database) else {
                throw StoreError(
                    .invalidArgument,
                    "table \(table.schema).\(table.table) is in database \"\(table.database)\", "
                        + "which the sync did not scan")
            }
            guard seen.insert(TableKey(table)).inserted else {
                throw StoreError(
                    .invalidArgument,
                    "table \(table.database).\(table.schema).\(table.table) was listed twice")
            }
        }
        let now = now()
        return try write { session in
            let connectionID = try Self.connectionID(key: connectionKey, lock: "FOR NO KEY UPDATE", in: session)
            let existing = try Self.loadDataSources(connectionID: connectionID, in: session)
                .filter { scannedDatabases.contains($0.key.database) }
            var summary = DataSourceSyncSummary()
            for table in tables {
                let columns = table.columns.sorted { $0.position < $1.position }
                let name = DataSourceRecord.name(
                    connectionKey: connectionKey, database: table.database, schema: table.schema,
                    table: table.table)
                guard let stored = existing[TableKey(table)] else {
                    let inserted = try session.query(
                        """
                        INSERT INTO data_sources (connection_id, database_name, schema_name, table_name,
                            name, state, created_at, updated_at)
                        VALUES ($1::bigint, $2::text, $3::text, $4::text, $5::text, 'ENABLED', $6::bigint, $6::bigint)
                        RETURNING id
                        """, connectionID, table.database, table.schema, table.table, name, now.microseconds)
                    try Self.insertColumns(columns, dataSourceID: try inserted[0].int64Value("id"), in: session)
                    summary.added.append(name)
                    continue
                }
                guard stored.state != .enabled || stored.columns != columns else {
                    summary.unchanged += 1
                    continue
                }
                try session.query(
                    "UPDATE data_sources SET state = 'ENABLED', updated_at = $1::bigint WHERE id = $2::bigint",
                    now.microseconds, stored.id)
                if stored.columns != columns {
                    try session.query("DELETE FROM data_source_columns WHERE data_source_id = $1::bigint", stored.id)
                    try Self.insertColumns(columns, dataSourceID: stored.id, in: session)
                }
                summary.updated.append(name)
            }
            let gone = existing.filter { $0.value.state == .enabled && !seen.contains($0.key) }.map(\.value)
            if !gone.isEmpty {
                try session.query(
                    """
                    UPDATE data_sources SET state = 'DISABLED', updated_at = $1::bigint
                    WHERE id IN (SELECT value::bigint FROM json_array_elements_text($2::json))
                    """, now.microseconds, try Self.jsonText(gone.map { String($0.id) }))
                summary.disabled = gone.map(\.name)
            }
            summary.added.sort()
            summary.updated.sort()
            summary.disabled.sort()
            return summary
        }
    }

    public func dataSource(name: String) throws(StoreError) -> DataSourceRecord {
        try read { session in
            guard
                let row = try session.queryFirst(
                    "\(Self.dataSourceSelect) WHERE d.name = $1::text ORDER BY d.id LIMIT 1", name)
            else { throw StoreError(.notFound, "no data source named \"\(name)\"") }
            return try Self.dataSourceRow(row).record
        }
    }

    public func listDataSources(_ filter: DataSourceFilter, page: PageRequest) throws(StoreError)
        -> Page<DataSourceRecord>
    {
        var conditions: [String] = []
        var values: [any PostgresBindable] = []
        func parameter(_ value: any PostgresBindable) -> String {
            values.append(value)
            return "$\(values.count)"
        }
        if let key = filter.connectionKey {
            conditions.append("c.key = \(parameter(key))::text")
        }
        if let prefix = filter.namePrefix, !prefix.isEmpty {
            // Exact and case-sensitive, with no wildcard characters.
            conditions.append("starts_with(d.name, \(parameter(prefix))::text)")
        }
        if let state = filter.state {
            conditions.append("d.state = \(parameter(state.rawValue))::text")
        }
        if let token = page.token {
            let position = try PageToken.decode(token, kind: "data-sources", count: 2)
            guard let id = Int64(position[1]) else {
                throw StoreError(.invalidArgument, "the page token is not one this list issued")
            }
            let name = parameter(position[0])
            conditions.append("(d.name > \(name)::text OR (d.name = \(name)::text AND d.id > \(parameter(id))::bigint))")
        }
        let size = page.effectiveSize
        let limit = parameter(size + 1)
        let sql = """
            \(Self.dataSourceSelect)
            WHERE \(conditions.isEmpty ? "true" : conditions.joined(separator: " AND "))
            ORDER BY d.name, d.id LIMIT \(limit)::bigint
            """
        let boundValues = values
        let rows = try read { session in
            try session.query(sql, values: boundValues).map { row in try Self.dataSourceRow(row) }
        }
        let items = rows.prefix(size)
        let next = rows.count > size
            ? items.last.map {
                PageToken(kind: "data-sources", position: [$0.record.name, String($0.id)]).encoded
            } : nil
        return Page(items: items.map(\.record), nextPageToken: next)
    }
}

// MARK: - Shared steps

extension PostgresRegistryStore {
    struct TableKey: Hashable {
        var database: String
        var schema: String
        var table: String

        init(_ table: DiscoveredTable) {
            self.database = table.database
            self.schema = table.schema
            self.table = table.table
        }

        init(database: String, schema: String, table: String) {
            self.database = database
            self.schema = schema
            self.table = table
        }
    }

    struct StoredDataSource {
        var id: Int64
        var name: String
        var state: DataSourceState
        var columns: [ColumnRecord]
    }

    /// A data source with its columns as a JSON array of [name, type, position].
    static let dataSourceSelect = """
        SELECT d.id, d.name, c.key, d.database_name, d.schema_name, d.table_name, d.state,
            d.created_at, d.updated_at,
            (SELECT coalesce(json_agg(json_build_array(k.name, k.type, k.position) ORDER BY k.position),
                             '[]'::json)
             FROM data_source_columns AS k WHERE k.data_source_id = d.id)::text AS columns
        FROM data_sources AS d JOIN connections AS c ON c.id = d.connection_id
        """

    static func dataSourceRow(_ row: PostgresRow) throws(StoreError) -> (id: Int64, record: DataSourceRecord) {
        let record = DataSourceRecord(
            name: try row.textValue("name"), connectionKey: try row.textValue("key"),
            database: try row.textValue("database_name"), schema: try row.textValue("schema_name"),
            table: try row.textValue("table_name"), state: try row.value(DataSourceState.self, "state"),
            columns: try columnList(row), createdAt: try row.dateValue("created_at"),
            updatedAt: try row.dateValue("updated_at"))
        return (try row.int64Value("id"), record)
    }

    static func columnList(_ row: PostgresRow) throws(StoreError) -> [ColumnRecord] {
        var columns: [ColumnRecord] = []
        for entry in try row.jsonArray("columns") {
            guard let parts = entry as? [Any], parts.count == 3, let name = parts[0] as? String,
                let type = parts[1] as? String, let position = (parts[2] as? NSNumber)?.intValue
            else { throw StoreError(.corrupt, "the registry store returned a malformed column list") }
            columns.append(ColumnRecord(name: name, type: type, position: position))
        }
        return columns
    }

    /// The connection's data sources with their columns, in one query.
    static func loadDataSources(connectionID: Int64, in session: PostgresSession) throws
        -> [TableKey: StoredDataSource]
    {
        var sources: [TableKey: StoredDataSource] = [:]
        let rows = try session.query(
            """
            SELECT d.id, d.database_name, d.schema_name, d.table_name, d.name, d.state,
                (SELECT coalesce(json_agg(json_build_array(k.name, k.type, k.position) ORDER BY k.position),
                                 '[]'::json)
                 FROM data_source_columns AS k WHERE k.data_source_id = d.id)::text AS columns
            FROM data_sources AS d WHERE d.connection_id = $1::bigint
            """, connectionID)
        for row in rows {
            let key = TableKey(
                database: try row.textValue("database_name"), schema: try row.textValue("schema_name"),
                table: try row.textValue("table_name"))
            sources[key] = StoredDataSource(
                id: try row.int64Value("id"), name: try row.textValue("name"),
                state: try row.value(DataSourceState.self, "state"), columns: try columnList(row))
        }
        return sources
    }

    static func insertColumns(_ columns: [ColumnRecord], dataSourceID: Int64, in session: PostgresSession)
        throws
    {
        for column in columns {
            do {
                try session.query(
                    """
                    INSERT INTO data_source_columns (data_source_id, position, name, type)
                    VALUES ($1::bigint, $2::bigint, $3::text, $4::text)
                    """, dataSourceID, column.position, column.name, column.type)
            } catch let error as PostgresError where error.sqlState == "23505" {
                throw StoreError(
                    .invalidArgument,
                    "column \"\(column.name)\" (position \(column.position)) repeats a column name or position",
                    detail: error.description)
            }
        }
    }
}

import Foundation
import StewardModel

extension SQLiteRegistryStore {
    @discardableResult
    public func syncDataSources(
        connectionKey: String, scope: DataSourceSyncScope, tables: [DiscoveredTable], digests: [SchemaDigestRecord]
    ) throws(StoreError) -> DataSourceSyncSummary {
        try scope.checkSyncInput(tables, digests: digests)
        let byPosition = tables.map(\.columnsByPosition)
        // Each list's text is made when it is needed, not all kept at once:
        // a first sync of 100,000 tables held them all for its whole store.
        let columns = { (index: Int) throws(StoreError) -> String in try ColumnListText.encode(byPosition[index]) }
        let now = now()
        return try write { database in
            let connectionID = try Self.connectionID(key: connectionKey, in: database)
            let stored = try Self.loadDataSources(connectionID: connectionID, scope: scope, in: database)
            let plan = try DataSourceSyncPlan(tables: tables, columns: columns, stored: stored)
            try plan.checkWrittenColumns(byPosition)
            // Ids follow the order given: assigned here, one writer holding
            // the write transaction, so that rows go in many to a statement.
            let firstID = try database.queryFirst("SELECT coalesce(max(id), 0) + 1 FROM data_sources") { $0.int64(0) } ?? 1
            let added = plan.added.enumerated().map { (id: firstID + Int64($0.offset), index: $0.element) }
            try Self.insertRows(
                into: "data_sources (id, connection_id, database_name, schema_name, table_name, name, state, kind, governable, created_at, updated_at, columns)",
                placeholders: "(?, ?, ?, ?, ?, ?, 'ENABLED', ?, ?, ?, ?, ?)", columns: 11, count: added.count, in: database
            ) { statement, row, first in
                // Fields read in place rather than the whole table (its
                // columns too) copied for each row: retains and releases
                // were the most of the store's own time in a first sync.
                let (id, index) = added[row]
                let name = DataSourceRecord.name(
                    connectionKey: connectionKey, database: tables[index].database, schema: tables[index].schema,
                    table: tables[index].table)
                try statement.bind(.integer(id), at: first)
                try statement.bind(.integer(connectionID), at: first + 1)
                try statement.bind(.text(tables[index].database), at: first + 2)
                try statement.bind(.text(tables[index].schema), at: first + 3)
                try statement.bind(.text(tables[index].table), at: first + 4)
                try statement.bind(.text(name), at: first + 5)
                try statement.bind(.text(tables[index].kind.rawValue), at: first + 6)
                try statement.bind(.integer(tables[index].governable ? 1 : 0), at: first + 7)
                try statement.bind(.integer(now.microseconds), at: first + 8)
                try statement.bind(.integer(now.microseconds), at: first + 9)
                try statement.bind(.text(try columns(index)), at: first + 10)
            }
            for update in plan.updated {
                try database.run(
                    "UPDATE data_sources SET state = 'ENABLED', kind = ?, governable = ?, columns = ?, updated_at = ? WHERE id = ?",
                    tables[update.index].kind.rawValue, update.governable ? 1 : 0, try columns(update.index), now.microseconds,
                    update.id)
            }
            for gone in plan.disabled {
                try database.run(
                    "UPDATE data_sources SET state = 'DISABLED', updated_at = ? WHERE id = ?",
                    now.microseconds, gone.id)
            }
            try Self.replaceDigests(connectionID: connectionID, scope: scope, with: digests, in: database)
            return plan.summary(connectionKey: connectionKey, tables: tables)
        }
    }
}

// MARK: - Sync steps

extension SQLiteRegistryStore {

    /// The connection's data sources inside `scope` with their column
    /// lists, one query per database or schema of the scope.
    static func loadDataSources(connectionID: Int64, scope: DataSourceSyncScope, in database: SQLiteDatabase) throws
        -> [TableKey: DataSourceSyncPlan.Stored]
    {
        var stored: [TableKey: DataSourceSyncPlan.Stored] = [:]
        let units = scope.databases.sorted().map { (database: $0, schema: String?.none) }
            + scope.schemaPairs.map { (database: $0.database, schema: Optional($0.schema)) }
        for unit in units {
            let filter = unit.schema == nil
                ? "d.connection_id = ? AND d.database_name = ?"
                : "d.connection_id = ? AND d.database_name = ? AND d.schema_name = ?"
            let values: [any SQLiteBindable] = [connectionID, unit.database] + (unit.schema.map { [$0] } ?? [])
            let rows = try database.query(
                """
                SELECT d.id, d.database_name, d.schema_name, d.table_name, d.name, d.state, d.kind, d.governable, d.columns
                FROM data_sources AS d WHERE \(filter)
                """, values: values
            ) { row in
                (
                    TableKey(database: row.text(1), schema: row.text(2), table: row.text(3)),
                    DataSourceSyncPlan.Stored(
                        id: row.int64(0), name: row.text(4),
                        enabled: try row.value(DataSourceState.self, 5) == .enabled,
                        kind: row.isNull(6) ? nil : try row.value(RelationKind.self, 6), governable: row.int64(7) != 0,
                        columns: row.text(8))
                )
            }
            for row in rows { stored[row.0] = row.1 }
        }
        return stored
    }

    /// The scope's stored schema digests replaced by `digests`, writing
    /// only what differs.
    static func replaceDigests(
        connectionID: Int64, scope: DataSourceSyncScope, with digests: [SchemaDigestRecord], in database: SQLiteDatabase
    ) throws {
        var before: [SchemaDigestRecord] = []
        let units = scope.databases.sorted().map { (database: $0, schema: String?.none) }
            + scope.schemaPairs.map { (database: $0.database, schema: Optional($0.schema)) }
        for unit in units {
            before += try database.query({ sql in
                sql.require("connection_id = \(sql.bind(connectionID))")
                sql.require("database_name = \(sql.bind(unit.database))")
                if let schema = unit.schema { sql.require("schema_name = \(sql.bind(schema))") }
                return "SELECT \(DataSourceQueries.digestColumns) FROM data_source_schemas WHERE \(sql.clause)"
            }, as: { row in try DataSourceQueries.digest(row) })
        }
        let changes = SchemaDigestChanges(before: before, after: digests)
        for pair in changes.removed {
            try database.run(
                "DELETE FROM data_source_schemas WHERE connection_id = ? AND database_name = ? AND schema_name = ?",
                connectionID, pair[0], pair[1])
        }
        for digest in changes.stored {
            try database.run(
                """
                INSERT INTO data_source_schemas (connection_id, database_name, schema_name, digest, tables)
                VALUES (?, ?, ?, ?, ?)
                """, connectionID, digest.database, digest.schema, digest.digest, digest.tables)
        }
    }

    /// Inserts `count` rows of `placeholders` (`columns` parameters each)
    /// a few hundred to a statement, the full-sized statement prepared once
    /// and reused: a statement per row would cost more than the rows
    /// themselves. `bind(statement, row, first)` binds row `row`'s values
    /// at parameters `first`, `first + 1`, … straight from the caller's
    /// data, so no row is built as an array of values.
    static func insertRows(
        into target: String, placeholders: String, columns: Int, count: Int, in database: SQLiteDatabase,
        bind: (SQLiteStatement, _ row: Int, _ first: Int32) throws -> Void
    ) throws {
        let perStatement = 200
        var start = 0
        while start < count {
            let rows = min(perStatement, count - start)
            let sql = "INSERT INTO \(target) VALUES " + Array(repeating: placeholders, count: rows).joined(separator: ", ")
            try database.withStatement(sql) { statement in
                for offset in 0..<rows {
                    try bind(statement, start + offset, Int32(offset * columns + 1))
                }
                while try statement.step() {}
            }
            start += rows
        }
    }
}

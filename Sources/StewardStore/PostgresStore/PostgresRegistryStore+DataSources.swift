import Foundation
import StewardModel
import StewardPostgres

extension PostgresRegistryStore {
    /// Race: two daemons syncing one connection. The connection's row is
    /// locked first (`FOR NO KEY UPDATE`), so syncs of a connection run one
    /// after the other, each reading what the previous one committed
    /// (READ COMMITTED takes a fresh snapshot per statement); the unique
    /// (connection, database, schema, table) constraint backs this up.
    ///
    /// Set-based: the found tables travel as one JSON parameter, and one
    /// query compares them with the stored ones (a full join on the table's
    /// key, column lists compared as stored text), returning only what
    /// changed. Then at most three statements write the changes (new tables
    /// with their column lists; tables found again; tables gone), so
    /// a sync costs a handful of round trips whatever its size, and a sync
    /// that finds nothing new writes nothing.
    @discardableResult
    public func syncDataSources(
        connectionKey: String, scope: DataSourceSyncScope, tables: [DiscoveredTable], digests: [SchemaDigestRecord]
    ) throws(StoreError) -> DataSourceSyncSummary {
        try scope.checkSyncInput(tables, digests: digests)
        let now = now()
        let columns = tables.map(\.columnsByPosition)
        let found = try Self.foundTablesJSON(tables, columns: columns, names: nil)
        let databases = try PostgresJSONWriter.array(scope.databases.sorted()) { writer, name throws(StoreError) in
            try writer.string(name)
        }
        let schemas = try Self.schemaPairsJSON(scope.schemaPairs.map { [$0.database, $0.schema] })
        // Alone: a large sync would hold up a group's other writers.
        return try write(alone: true) { session in
            let connectionID = try Self.connectionID(key: connectionKey, lock: "FOR NO KEY UPDATE", in: session)
            // Found tables (f) against stored ones in the scanned databases
            // (s): only the rows that change come back.
            let rows = try session.query(
                """
                SELECT x.i, x.id, x.name, x.columns_changed, x.governable
                FROM (
                    SELECT f.i, s.id, s.name, s.state, s.kind AS stored_kind, f.k, s.governable AS stored_governable,
                        -- DataSourceSyncPlan.governable(stored:found:)
                        CASE WHEN s.state = 'ENABLED' THEN s.governable OR f.g ELSE f.g END AS governable,
                        -- Both written by ColumnListText: equal texts, equal lists.
                        CASE WHEN f.i IS NOT NULL AND s.id IS NOT NULL THEN s.columns IS DISTINCT FROM f.c
                        END AS columns_changed
                    FROM json_to_recordset($3::json) AS f(i bigint, d text, s text, t text, k text, g boolean, c text)
                    FULL JOIN (
                        SELECT d.id, d.name, d.state, d.kind, d.governable, d.database_name, d.schema_name, d.table_name,
                            d.columns
                        FROM data_sources AS d
                        WHERE d.connection_id = $1::bigint AND \(Self.inScope("d", databases: "$2", schemas: "$4"))
                    ) AS s ON s.database_name = f.d AND s.schema_name = f.s AND s.table_name = f.t
                ) AS x
                WHERE x.id IS NULL
                    OR (x.i IS NULL AND x.state = 'ENABLED')
                    OR (x.i IS NOT NULL AND (x.state <> 'ENABLED' OR x.columns_changed
                        OR x.stored_kind IS DISTINCT FROM x.k OR x.governable <> x.stored_governable))
                """, connectionID, databases, found, schemas)
            // The query is the plan's rule in SQL (it must agree with
            // DataSourceSyncPlan(tables:columns:stored:), which the random
            // sync conformance test checks); only changes come back.
            var plan = DataSourceSyncPlan()
            for row in rows {
                let index = try row.optionalInt64Value("i").map(Int.init)
                let id = try row.optionalInt64Value("id")
                switch (index, id) {
                case (let index?, nil): plan.added.append(index)
                case (let index?, let id?):
                    plan.updated.append(DataSourceSyncPlan.Update(
                        index: index, id: id, replacesColumns: try row.optionalTextValue("columns_changed") == "t",
                        governable: try row.optionalTextValue("governable") == "t"))
                case (nil, let id?): plan.disabled.append(DataSourceSyncPlan.Disable(id: id, name: try row.textValue("name")))
                case (nil, nil): throw StoreError(.io, "the registry store failed", detail: "empty sync row")
                }
            }
            plan.added.sort()
            plan.updated.sort { $0.index < $1.index }
            plan.disabled.sort { $0.id < $1.id }
            plan.unchanged = tables.count - plan.added.count - plan.updated.count
            let added = plan.added
            try plan.checkWrittenColumns(columns)
            func name(_ index: Int) -> String {
                DataSourceRecord.name(
                    connectionKey: connectionKey, database: tables[index].database, schema: tables[index].schema,
                    table: tables[index].table)
            }
            if !added.isEmpty {
                let names = added.map(name)
                let json = try Self.foundTablesJSON(
                    added.map { tables[$0] }, columns: added.map { columns[$0] }, names: names)
                // Inserted in the order given, so ids follow it as before.
                try session.query(
                    """
                    INSERT INTO data_sources (connection_id, database_name, schema_name, table_name,
                        name, state, kind, governable, created_at, updated_at, columns)
                    SELECT $1::bigint, f.d, f.s, f.t, f.n, 'ENABLED', f.k, f.g, $3::bigint, $3::bigint, f.c
                    FROM json_to_recordset($2::json) AS f(i bigint, d text, s text, t text, k text, g boolean, n text, c text)
                    ORDER BY f.i
                    """, connectionID, json, now.microseconds)
            }
            if !plan.updated.isEmpty {
                let updates = try PostgresJSONWriter.array(plan.updated, capacity: plan.updated.count * 96) {
                    writer, entry throws(StoreError) in
                    writer.raw("{\"id\":")
                    writer.int(entry.id)
                    writer.raw(",\"k\":")
                    try writer.string(tables[entry.index].kind.rawValue)
                    writer.raw(entry.governable ? ",\"g\":true" : ",\"g\":false")
                    writer.raw(",\"c\":")
                    try ColumnListText.write(columns[entry.index], to: &writer)
                    writer.raw("}")
                }
                try session.query(
                    """
                    UPDATE data_sources AS d
                    SET state = 'ENABLED', kind = u.k, governable = u.g, columns = u.c, updated_at = $1::bigint
                    FROM json_to_recordset($2::json) AS u(id bigint, k text, g boolean, c text)
                    WHERE d.id = u.id
                    """, now.microseconds, updates)
            }
            if !plan.disabled.isEmpty {
                try session.query(
                    """
                    UPDATE data_sources SET state = 'DISABLED', updated_at = $1::bigint
                    WHERE id IN (SELECT value::bigint FROM json_array_elements_text($2::json))
                    """, now.microseconds, try Self.idsJSON(plan.disabled.map(\.id)))
            }
            try Self.replaceDigests(
                connectionID: connectionID, databases: databases, schemas: schemas, with: digests, in: session)
            return plan.summary(connectionKey: connectionKey, tables: tables)
        }
    }
}

// MARK: - Sync steps

extension PostgresRegistryStore {

    /// The found tables as a JSON array of {i, d, s, t, [n,] c}: i their
    /// index, c their columns in position order as {n, y, p}, written
    /// byte for byte as the sync's comparison writes stored columns (no
    /// spaces; strings escaped as PostgreSQL escapes them).
    static func foundTablesJSON(_ tables: [DiscoveredTable], columns: [[ColumnRecord]], names: [String]?)
        throws(StoreError) -> String
    {
        let capacity = tables.count * 96 + columns.reduce(0) { $0 + $1.count * 48 }
        return try PostgresJSONWriter.array(tables.indices, capacity: capacity) { writer, index throws(StoreError) in
            let table = tables[index]
            writer.raw("{\"i\":")
            writer.int(index)
            writer.raw(",\"d\":")
            try writer.string(table.database)
            writer.raw(",\"s\":")
            try writer.string(table.schema)
            writer.raw(",\"t\":")
            try writer.string(table.table)
            writer.raw(",\"k\":")
            try writer.string(table.kind.rawValue)
            writer.raw(table.governable ? ",\"g\":true" : ",\"g\":false")
            if let names {
                writer.raw(",\"n\":")
                try writer.string(names[index])
            }
            writer.raw(",\"c\":")
            try ColumnListText.write(columns[index], to: &writer)
            writer.raw("}")
        }
    }

    /// A condition on `alias`'s database and schema: inside a sync's scope
    /// (`databases` a JSON array of names, `schemas` of {d, s} pairs).
    static func inScope(_ alias: String, databases: String, schemas: String) -> String {
        """
        (\(alias).database_name IN (SELECT value FROM json_array_elements_text(\(databases)::json))
            OR (\(alias).database_name, \(alias).schema_name) IN (
                SELECT p.d, p.s FROM json_to_recordset(\(schemas)::json) AS p(d text, s text)))
        """
    }

    /// The scope's stored schema digests replaced by `digests`, writing
    /// only what differs.
    static func replaceDigests(
        connectionID: Int64, databases: String, schemas: String, with digests: [SchemaDigestRecord],
        in session: PostgresSession
    ) throws {
        let before = try session.query(
            SQLStatement(
                sql: """
                    SELECT \(DataSourceQueries.digestColumns) FROM data_source_schemas AS x
                    WHERE x.connection_id = $1::bigint AND \(inScope("x", databases: "$2", schemas: "$3"))
                    """,
                parameters: [.integer(connectionID), .text(databases), .text(schemas)]),
            { row in try DataSourceQueries.digest(row) })
        let changes = SchemaDigestChanges(before: before, after: digests)
        if !changes.removed.isEmpty {
            let pairs = try schemaPairsJSON(changes.removed)
            try session.query(
                """
                DELETE FROM data_source_schemas AS x WHERE x.connection_id = $1::bigint AND (x.database_name, x.schema_name) IN (
                    SELECT p.d, p.s FROM json_to_recordset($2::json) AS p(d text, s text))
                """, connectionID, pairs)
        }
        guard !changes.stored.isEmpty else { return }
        let json = try PostgresJSONWriter.array(changes.stored) { writer, digest throws(StoreError) in
            writer.raw("{\"d\":")
            try writer.string(digest.database)
            writer.raw(",\"s\":")
            try writer.string(digest.schema)
            writer.raw(",\"g\":")
            try writer.string(digest.digest)
            writer.raw(",\"n\":")
            writer.int(digest.tables)
            writer.raw("}")
        }
        try session.query(
            """
            INSERT INTO data_source_schemas (connection_id, database_name, schema_name, digest, tables)
            SELECT $1::bigint, x.d, x.s, x.g, x.n FROM json_to_recordset($2::json) AS x(d text, s text, g text, n bigint)
            """, connectionID, json)
    }

    /// (database, schema) pairs as a JSON array of {d, s}.
    static func schemaPairsJSON(_ pairs: [[String]]) throws(StoreError) -> String {
        try PostgresJSONWriter.array(pairs) { writer, pair throws(StoreError) in
            writer.raw("{\"d\":")
            try writer.string(pair[0])
            writer.raw(",\"s\":")
            try writer.string(pair[1])
            writer.raw("}")
        }
    }

    static func idsJSON(_ ids: [Int64]) throws(StoreError) -> String {
        try PostgresJSONWriter.array(ids) { writer, id throws(StoreError) in writer.int(id) }
    }
}

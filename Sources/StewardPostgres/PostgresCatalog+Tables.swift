import StewardModel

extension PostgresCatalog {
    /// A table (or view, materialized view, foreign or partitioned table)
    /// with its columns in `attnum` order.
    public struct CatalogTable: Sendable, Equatable {
        public var schema: String
        public var name: String
        public var kind: RelationKind
        public var columns: [CatalogColumn]

        public init(schema: String, name: String, kind: RelationKind = .table, columns: [CatalogColumn]) {
            self.schema = schema
            self.name = name
            self.kind = kind
            self.columns = columns
        }
    }

    public struct CatalogColumn: Sendable, Equatable {
        public var name: String
        /// `format_type`, such as `character varying(20)`.
        public var type: String
        /// `attnum`: 1-based, with gaps where columns were dropped.
        public var position: Int

        public init(name: String, type: String, position: Int) {
            self.name = name
            self.type = type
            self.position = position
        }
    }

    /// Every table of the connected database that the session's role may
    /// select from, with its columns, in one query. Partitions are left out:
    /// their partitioned table stands for them. System schemas are left out.
    public static func selectableTables(on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [CatalogTable] {
        try relations(selectableOnly: true, on: connection, deadline: deadline)
    }

    /// Every table of the connected database outside PostgreSQL's own
    /// schemas, whatever the session's role may do with it (the catalog
    /// shows every relation to every role), with its kind and columns, in
    /// one query. Partitions are left out. What sync stores: a relation
    /// Steward cannot govern yet is still a data source, marked so.
    public static func relations(on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [CatalogTable] {
        try relations(selectableOnly: false, on: connection, deadline: deadline)
    }

    private static func relations(selectableOnly: Bool, on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [CatalogTable] {
        let selectable = selectableOnly
            ? """
              AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
              -- NULL (not false) for a table dropped while the query runs: gone.
              AND pg_catalog.has_table_privilege(c.oid, 'SELECT') IS TRUE
            """
            : ""
        let result = try connection.query(
            """
            SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, a.attname AS column_name,
                   pg_catalog.format_type(a.atttypid, a.atttypmod) AS column_type, a.attnum AS position
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
              AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
            \(selectable)
            ORDER BY n.nspname, c.relname, a.attnum
            """,
            deadline: deadline)
        var tables: [CatalogTable] = []
        for row in result.rows {
            let schema = try row.string("schema")
            let name = try row.string("name")
            if tables.last?.schema != schema || tables.last?.name != name {
                let relkind = try row.string("kind")
                guard let kind = RelationKind(relkind: relkind) else {
                    throw PostgresError(kind: .decoding, message: "unexpected relation kind \(SQLQuoting.literal(relkind))")
                }
                tables.append(CatalogTable(schema: schema, name: name, kind: kind, columns: []))
            }
            // A table without columns comes as one row with NULL column fields.
            guard let column = try row.text("column_name") else { continue }
            tables[tables.count - 1].columns.append(
                CatalogColumn(name: column, type: try row.string("column_type"), position: try row.int("position")))
        }
        return tables
    }
}

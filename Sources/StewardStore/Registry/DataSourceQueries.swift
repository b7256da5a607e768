import Foundation
import StewardModel

/// Reading data sources, their columns and the connections' schema digests,
/// written once for both backends (``RegistrySQLSession``). Writing them is
/// each backend's sync apply (`SQLiteRegistryStore+DataSources`,
/// `PostgresRegistryStore+DataSources`).
enum DataSourceQueries {
    typealias Stored = (id: Int64, record: DataSourceRecord)

    /// The head every data-source read selects with (``DataSourceQuery``
    /// adds the list's filter); ``decode(_:)`` reads its columns in order,
    /// the data source's own columns last (``ColumnListText``).
    static let select = """
        SELECT d.id, d.name, c.key, d.database_name, d.schema_name, d.table_name, d.state,
            d.created_at, d.updated_at, d.kind, d.governable, d.columns
        FROM data_sources AS d JOIN connections AS c ON c.id = d.connection_id
        """

    /// The columns ``digest(_:)`` reads, in its order.
    static let digestColumns = "database_name, schema_name, digest, tables"

    /// The connection's stored schema digests, by database then schema.
    static func schemaDigests(connectionKey: String, in session: some RegistrySQLSession) throws -> [SchemaDigestRecord] {
        let connectionID = try ConnectionQueries.id(key: connectionKey, in: session)
        return try session.query({ sql in
            """
            SELECT \(digestColumns) FROM data_source_schemas
            WHERE connection_id = \(sql.bind(connectionID)) ORDER BY database_name, schema_name
            """
        }, as: { row in try digest(row) })
    }

    /// The databases in which the connection has an ENABLED data source.
    static func enabledDatabases(connectionKey: String, in session: some RegistrySQLSession) throws -> Set<String> {
        let connectionID = try ConnectionQueries.id(key: connectionKey, in: session)
        return Set(try session.query({ sql in
            """
            SELECT DISTINCT database_name FROM data_sources
            WHERE connection_id = \(sql.bind(connectionID)) AND state = 'ENABLED'
            """
        }, as: { row in try row.text(0) }))
    }

    /// The data source `name` names, with its columns. NOT_FOUND when none
    /// does; a name two rows share (possible only for names written before
    /// names were checked) is refused as ambiguous.
    static func load(name: String, in session: some RegistrySQLSession) throws -> DataSourceRecord {
        let rows = try session.query({ sql in
            "\(select) WHERE d.name = \(sql.bind(name)) ORDER BY d.id LIMIT 2"
        }, as: { row in try decode(row) })
        guard rows.count <= 1 else { throw StoreError.ambiguousDataSourceName(name) }
        guard let stored = rows.first else {
            throw StoreError(.notFound, "no data source named \"\(name)\"")
        }
        return stored.record
    }

    /// One page in name order, as ``DataSourceQuery`` selects it: two
    /// queries however long the page.
    static func list(_ filter: DataSourceFilter, page: PageRequest, in session: some RegistrySQLSession) throws
        -> Page<DataSourceRecord>
    {
        let query = try DataSourceQuery(filter, page: page, dialect: session.dialect)
        let rows = try session.query(query.statement) { row in try decode(row) }
        return query.page(of: rows)
    }

    // MARK: Rows

    static func decode(_ row: some RegistrySQLRow) throws(StoreError) -> Stored {
        let record = DataSourceRecord(
            name: try row.text(1), connectionKey: try row.text(2), database: try row.text(3), schema: try row.text(4),
            table: try row.text(5), state: try row.value(DataSourceState.self, 6),
            kind: try row.optionalValue(RelationKind.self, 9), governable: try row.bool(10),
            columns: try ColumnListText.decode(try row.text(11)),
            createdAt: try row.date(7), updatedAt: try row.date(8))
        return (try row.int64(0), record)
    }

    static func digest(_ row: some RegistrySQLRow) throws(StoreError) -> SchemaDigestRecord {
        SchemaDigestRecord(database: try row.text(0), schema: try row.text(1), digest: try row.text(2), tables: try row.int(3))
    }
}

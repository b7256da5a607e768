/// The one data-source-list query both stores run, spelled in a
/// ``SQLDialect``: ``DataSourceQueries/select`` with the filter's conditions.
struct DataSourceQuery: Sendable {
    static let tokenKind = "data-sources"

    let statement: SQLStatement
    /// Items the page holds; the statement asks for one more.
    let pageSize: Int

    /// Throws `invalidArgument` for a page token this list did not issue.
    init(_ filter: DataSourceFilter, page: PageRequest, dialect: SQLDialect) throws(StoreError) {
        var sql = SQLConditions(dialect)
        if let key = filter.connectionKey { sql.require("c.key = \(sql.bind(key))") }
        if let prefix = filter.namePrefix, !prefix.isEmpty { sql.requirePrefix(prefix, of: "d.name") }
        if let state = filter.state { sql.require("d.state = \(sql.bind(state.rawValue))") }
        if let token = page.token {
            let position = try PageToken.decode(token, kind: Self.tokenKind, count: 2)
            guard let id = Int64(position[1]) else {
                throw StoreError(.invalidArgument, "the page token is not one this list issued")
            }
            let (name, sameName, after) = (sql.bind(position[0]), sql.bind(position[0]), sql.bind(id))
            sql.require("(d.name > \(name) OR (d.name = \(sameName) AND d.id > \(after)))")
        }
        pageSize = page.effectiveSize
        let limit = sql.bind(Int64(pageSize + 1))
        statement = SQLStatement(
            sql: """
                \(DataSourceQueries.select)
                WHERE \(sql.clause)
                ORDER BY d.name, d.id LIMIT \(limit)
                """,
            parameters: sql.parameters)
    }

    /// The page made of the rows the statement returned.
    func page(of rows: [(id: Int64, record: DataSourceRecord)]) -> Page<DataSourceRecord> {
        Page(
            fetched: rows, size: pageSize, tokenKind: Self.tokenKind, position: { [$0.record.name, String($0.id)] },
            item: \.record)
    }
}

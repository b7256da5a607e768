/// The one mapping-list query both stores run, spelled in a ``SQLDialect``;
/// rows come back as user_name, connection_key, kind, value.
struct MappingQuery: Sendable {
    let statement: SQLStatement
    /// Items the page holds; the statement asks for one more.
    let pageSize: Int

    /// Throws `invalidArgument` for a page token this list did not issue.
    init(_ filter: MappingFilter, page: PageRequest, dialect: SQLDialect) throws(StoreError) {
        var sql = SQLConditions(dialect)
        if let userName = filter.userName { sql.require("u.name = \(sql.bind(userName))") }
        switch filter.scope {
        case .any: break
        case .defaults: sql.require("m.connection_id IS NULL")
        case .connection(let key): sql.require("c.key = \(sql.bind(key))")
        }
        if let after = try MappingPosition(token: page.token) {
            // SQLite's ? cannot be reused, so the name is bound twice.
            let (name, sameName, key) = (
                sql.bind(after.userName), sql.bind(after.userName), sql.bind(after.connectionKey)
            )
            sql.require("(u.name > \(name) OR (u.name = \(sameName) AND coalesce(c.key, '') > \(key)))")
        }
        pageSize = page.effectiveSize
        let limit = sql.bind(Int64(pageSize + 1))
        // coalesce(c.key, ''): the default scope ('') sorts before every
        // connection key (never empty).
        statement = SQLStatement(
            sql: """
                SELECT u.name AS user_name, c.key AS connection_key, m.kind, m.value
                FROM identity_mappings AS m
                JOIN users AS u ON u.id = m.user_id
                LEFT JOIN connections AS c ON c.id = m.connection_id
                WHERE \(sql.clause)
                ORDER BY u.name, coalesce(c.key, '')
                LIMIT \(limit)
                """,
            parameters: sql.parameters)
    }
}

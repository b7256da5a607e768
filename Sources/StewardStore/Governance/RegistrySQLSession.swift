/// An open transaction of either registry backend, as the governance
/// queries (groups, policies, settings) use it: statements are written once
/// in an ``SQLDialect`` and their rows read as text, so that the two stores
/// share one implementation of these tables instead of two copies.
protocol RegistrySQLSession {
    var dialect: SQLDialect { get }
    /// The rows of `statement`, each column as text (nil for NULL); a
    /// statement that returns nothing gives no rows. `columns` is how many
    /// columns the statement selects.
    func rows(_ statement: SQLStatement, columns: Int) throws -> [[String?]]
}

extension RegistrySQLSession {
    func run(_ statement: SQLStatement) throws {
        _ = try rows(statement, columns: 0)
    }

    /// Builds a statement whose values are bound in the order `build` binds them.
    func statement(_ build: (inout SQLConditions) -> String) -> SQLStatement {
        var binder = SQLConditions(dialect)
        let sql = build(&binder)
        return SQLStatement(sql: sql, parameters: binder.parameters)
    }

    func rows(columns: Int, _ build: (inout SQLConditions) -> String) throws -> [[String?]] {
        try rows(statement(build), columns: columns)
    }

    func run(_ build: (inout SQLConditions) -> String) throws {
        try run(statement(build))
    }

    /// The id in the first column of the first row, if any.
    func firstID(_ build: (inout SQLConditions) -> String) throws -> Int64? {
        guard let text = try rows(columns: 1, build).first?[0] else { return nil }
        guard let id = Int64(text) else { throw StoreError(.corrupt, "the registry store holds a malformed id", detail: text) }
        return id
    }
}

extension SQLiteDatabase: RegistrySQLSession {
    var dialect: SQLDialect { .sqlite }

    func rows(_ statement: SQLStatement, columns: Int) throws -> [[String?]] {
        try query(statement.sql, values: statement.parameters) { row in
            (0..<Int32(columns)).map { row.optionalText($0) }
        }
    }
}

extension PostgresSession: RegistrySQLSession {
    var dialect: SQLDialect { .postgres }

    func rows(_ statement: SQLStatement, columns: Int) throws -> [[String?]] {
        try query(statement.sql, values: statement.parameters).map(\.values)
    }
}

import CSQLite

extension SQLiteDatabase: RegistrySQLSession {
    var dialect: SQLDialect { .sqlite }

    func query<Value>(_ statement: SQLStatement, _ decode: (SQLiteRegistryRow) throws -> Value) throws -> [Value] {
        try query(statement.sql, values: statement.parameters) { row in try decode(SQLiteRegistryRow(row: row)) }
    }

    /// The write transaction (BEGIN IMMEDIATE) already excludes every other writer.
    func lockUsernames() throws {}
}

/// A row of an SQLite statement, read by its storage classes.
struct SQLiteRegistryRow: RegistrySQLRow {
    let row: SQLiteRow

    func optionalText(_ column: Int) throws(StoreError) -> String? { row.optionalText(Int32(column)) }
    func optionalInt64(_ column: Int) throws(StoreError) -> Int64? { row.optionalInt64(Int32(column)) }
    func optionalBytes(_ column: Int) throws(StoreError) -> [UInt8]? {
        row.isNull(Int32(column)) ? nil : row.blob(Int32(column))
    }
    func optionalBool(_ column: Int) throws(StoreError) -> Bool? { row.optionalInt64(Int32(column)).map { $0 != 0 } }
}

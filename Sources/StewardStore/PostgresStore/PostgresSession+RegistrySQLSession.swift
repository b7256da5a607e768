import StewardPostgres

extension PostgresSession: RegistrySQLSession {
    var dialect: SQLDialect { .postgres }

    func query<Value>(_ statement: SQLStatement, _ decode: (PostgresRegistryRow) throws -> Value) throws -> [Value] {
        try query(statement.sql, values: statement.parameters).map { row in try decode(PostgresRegistryRow(values: row.values)) }
    }

    /// Taken once per transaction: held until it ends.
    func lockUsernames() throws {
        guard !holdsUsernamesLock else { return }
        try query(PostgresMigration.takeUsernamesLock)
        holdsUsernamesLock = true
    }
}

/// A row of a PostgreSQL result in text format (the store's sessions set
/// `bytea_output = hex`), read by position.
struct PostgresRegistryRow: RegistrySQLRow {
    let values: [String?]

    func optionalText(_ column: Int) throws(StoreError) -> String? {
        guard values.indices.contains(column) else {
            throw StoreError(.io, "the registry store failed", detail: "no column \(column) in the result")
        }
        return values[column]
    }

    func optionalInt64(_ column: Int) throws(StoreError) -> Int64? {
        guard let text = try optionalText(column) else { return nil }
        guard let value = Int64(text) else {
            throw StoreError(.corrupt, "the registry store holds a malformed number", detail: "column \(column): \(text)")
        }
        return value
    }

    func optionalBytes(_ column: Int) throws(StoreError) -> [UInt8]? {
        guard let text = try optionalText(column) else { return nil }
        guard let bytes = PostgresByteaText.bytes(text) else {
            throw StoreError(.corrupt, "the registry store holds malformed bytes", detail: "column \(column)")
        }
        return bytes
    }

    func optionalBool(_ column: Int) throws(StoreError) -> Bool? {
        switch try optionalText(column) {
        case nil: return nil
        case "t": return true
        case "f": return false
        case let text?:
            throw StoreError(.corrupt, "the registry store holds a malformed boolean", detail: "column \(column): \(text)")
        }
    }
}

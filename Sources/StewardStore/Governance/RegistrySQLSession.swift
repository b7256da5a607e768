import Foundation

/// An open transaction of either registry backend, as the shared queries
/// (connections, validation, audit, groups, policies, settings) use it:
/// statements are written once in an ``SQLDialect`` and their rows read
/// through typed columns (``RegistrySQLRow``), so that the two stores share
/// one implementation of these tables instead of two copies.
protocol RegistrySQLSession {
    associatedtype Row: RegistrySQLRow
    var dialect: SQLDialect { get }
    /// Runs `statement` and decodes each row it returns with `decode`; a
    /// statement that returns nothing gives no rows.
    func query<Value>(_ statement: SQLStatement, _ decode: (Row) throws -> Value) throws -> [Value]
    /// Takes the usernames lock (see ``PostgresMigration/v9UsernameClaims``)
    /// before anything else a write that changes username claims does (a
    /// user, a mapping, or a connection delete that cascades into them), so
    /// that its checks see what other daemons committed:
    /// PostgreSQL's transaction-scoped advisory lock, taken
    /// before any row lock so that the order is always the same; nothing in
    /// SQLite, whose write transaction already excludes every other writer.
    func lockUsernames() throws
}

extension RegistrySQLSession {
    /// The rows of `statement`, each of its first `columns` columns as text
    /// (nil for NULL).
    func rows(_ statement: SQLStatement, columns: Int) throws -> [[String?]] {
        try query(statement) { row in try (0..<columns).map { column throws(StoreError) in try row.optionalText(column) } }
    }

    func run(_ statement: SQLStatement) throws {
        _ = try query(statement) { _ in () }
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

    /// The rows of the statement `build` writes, each decoded by `decode`.
    func query<Value>(_ build: (inout SQLConditions) -> String, as decode: (Row) throws -> Value) throws -> [Value] {
        try query(statement(build), decode)
    }

    func run(_ build: (inout SQLConditions) -> String) throws {
        try run(statement(build))
    }

    /// Inserts a row into `table` for each of `items`, with the values
    /// `values` binds, in multi-row statements of at most
    /// ``insertBatchRows`` rows: few round trips, and few statement shapes
    /// for SQLite's statement cache.
    func insert<Item>(
        into table: String, columns: String, _ items: [Item],
        values: (Item, inout SQLConditions) -> [String]
    ) throws {
        for start in stride(from: 0, to: items.count, by: insertBatchRows) {
            let batch = items[start..<min(start + insertBatchRows, items.count)]
            try run { sql in
                let tuples = batch.map { item in "(" + values(item, &sql).joined(separator: ", ") + ")" }
                return "INSERT INTO \(table) (\(columns)) VALUES \(tuples.joined(separator: ", "))"
            }
        }
    }

    var insertBatchRows: Int { 64 }

    /// The id in the first column of the first row, if any.
    func firstID(_ build: (inout SQLConditions) -> String) throws -> Int64? {
        try query(statement(build)) { row in try row.int64(0) }.first
    }
}

/// One row of a result, its columns read by position as the store's types.
/// Each backend reads its own storage (SQLite's integers and blobs,
/// PostgreSQL's text format); a value the schema should have refused is
/// reported as damage, not a crash.
protocol RegistrySQLRow {
    func optionalText(_ column: Int) throws(StoreError) -> String?
    func optionalInt64(_ column: Int) throws(StoreError) -> Int64?
    /// A blob (SQLite) or `bytea` (PostgreSQL) column.
    func optionalBytes(_ column: Int) throws(StoreError) -> [UInt8]?
    /// An integer 0/1 (SQLite) or `boolean` (PostgreSQL) column.
    func optionalBool(_ column: Int) throws(StoreError) -> Bool?
}

extension RegistrySQLRow {
    private static func unexpectedNull(_ column: Int) -> StoreError {
        StoreError(.corrupt, "the registry store holds an unexpected NULL", detail: "column \(column)")
    }

    func text(_ column: Int) throws(StoreError) -> String {
        guard let value = try optionalText(column) else { throw Self.unexpectedNull(column) }
        return value
    }

    func int64(_ column: Int) throws(StoreError) -> Int64 {
        guard let value = try optionalInt64(column) else { throw Self.unexpectedNull(column) }
        return value
    }

    func int(_ column: Int) throws(StoreError) -> Int { Int(try int64(column)) }

    func bytes(_ column: Int) throws(StoreError) -> [UInt8] {
        guard let value = try optionalBytes(column) else { throw Self.unexpectedNull(column) }
        return value
    }

    func bool(_ column: Int) throws(StoreError) -> Bool {
        guard let value = try optionalBool(column) else { throw Self.unexpectedNull(column) }
        return value
    }

    func date(_ column: Int) throws(StoreError) -> Date { StoreTime.date(try int64(column)) }

    func uid(_ column: Int) throws(StoreError) -> UInt32 {
        let raw = try int64(column)
        guard let uid = UInt32(exactly: raw) else {
            throw StoreError(.corrupt, "the registry store holds a uid out of range", detail: "\(raw)")
        }
        return uid
    }

    func optionalValue<Value: RawRepresentable>(_ type: Value.Type, _ column: Int) throws(StoreError) -> Value?
    where Value.RawValue == String {
        guard let raw = try optionalText(column) else { return nil }
        guard let value = Value(rawValue: raw) else {
            throw StoreError(
                .corrupt, "the registry store holds an unknown \(Value.self) value",
                detail: "\(Value.self)(rawValue: \"\(raw)\")")
        }
        return value
    }

    func value<Value: RawRepresentable>(_ type: Value.Type, _ column: Int) throws(StoreError) -> Value
    where Value.RawValue == String {
        guard let value = try optionalValue(type, column) else { throw Self.unexpectedNull(column) }
        return value
    }
}

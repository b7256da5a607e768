import CSQLite
import Foundation

/// A prepared statement. Owns one `sqlite3_stmt*`, which ``finalize()``
/// releases; `deinit` asserts that it was (the database finalizes every
/// statement it hands out, on every path).
package final class SQLiteStatement {
    private var handle: OpaquePointer?
    private let database: OpaquePointer
    package let sql: String
    /// Set while a caller uses a cached statement, so that a nested use of the
    /// same SQL gets its own statement instead of resetting this one.
    var isInUse = false

    /// Compiles `sql`, which must be exactly one statement.
    /// Wraps `sqlite3_prepare_v3`.
    init(database: OpaquePointer, sql: String, persistent: Bool) throws(SQLiteError) {
        self.database = database
        self.sql = sql
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let code = sql.withCString { text in
            let result = sqlite3_prepare_v3(database, text, -1, flags, &statement, &tail)
            if result == SQLITE_OK, let tail, tail.pointee != 0 {
                // Everything after the first statement must be blank: a
                // second statement here would be silently ignored.
                let rest = String(cString: tail).trimmingCharacters(in: .whitespacesAndNewlines)
                if !rest.isEmpty { return SQLITE_MISUSE }
            }
            return result
        }
        guard code == SQLITE_OK, let statement else {
            let error = code == SQLITE_MISUSE && statement != nil
                ? SQLiteError("sqlite3_prepare_v3", code: code, message: "more than one statement in: \(sql)")
                : SQLiteError("sqlite3_prepare_v3", code: code, database: database)
            sqlite3_finalize(statement)
            throw error
        }
        self.handle = statement
    }

    deinit {
        assert(handle == nil, "SQLiteStatement for \(sql) was not finalized")
        if let handle { sqlite3_finalize(handle) }
    }

    /// Releases the statement. Wraps `sqlite3_finalize`.
    package func finalize() {
        if let handle { sqlite3_finalize(handle) }
        handle = nil
    }

    private var live: OpaquePointer {
        guard let handle else { preconditionFailure("use of a finalized statement: \(sql)") }
        return handle
    }

    /// Makes the statement ready to run again and forgets its parameters.
    /// Wraps `sqlite3_reset` and `sqlite3_clear_bindings`.
    package func reset() {
        sqlite3_reset(live)
        sqlite3_clear_bindings(live)
    }

    /// Binds `values` to parameters 1…n, in order.
    package func bind(_ values: [any SQLiteBindable]) throws(SQLiteError) {
        let expected = Int(sqlite3_bind_parameter_count(live))
        guard values.count == expected else {
            throw SQLiteError(
                "sqlite3_bind", code: SQLITE_RANGE,
                message: "\(values.count) values for \(expected) parameters in: \(sql)")
        }
        for (offset, value) in values.enumerated() {
            try bind(value.sqliteValue, at: Int32(offset + 1))
        }
    }

    /// Binds one value, copying text and blobs (`SQLITE_TRANSIENT`).
    /// Wraps `sqlite3_bind_null`, `sqlite3_bind_int64`, `sqlite3_bind_double`,
    /// `sqlite3_bind_text` and `sqlite3_bind_blob`.
    package func bind(_ value: SQLiteValue, at index: Int32) throws(SQLiteError) {
        let statement = live
        let code: Int32
        switch value {
        case .null:
            code = sqlite3_bind_null(statement, index)
        case .integer(let number):
            code = sqlite3_bind_int64(statement, index, number)
        case .real(let number):
            code = sqlite3_bind_double(statement, index, number)
        case .text(let text):
            // With an explicit length, so that text with a NUL is kept whole.
            var text = text
            code = text.withUTF8 { bytes in
                guard bytes.count <= Int32.max else { return SQLITE_TOOBIG }
                return bytes.withMemoryRebound(to: CChar.self) { chars in
                    // An empty buffer may have no address; SQLite reads no bytes then.
                    let empty: CChar = 0
                    return withUnsafePointer(to: empty) { fallback in
                        sqlite3_bind_text(
                            statement, index, chars.baseAddress ?? fallback, Int32(chars.count),
                            steward_sqlite_transient())
                    }
                }
            }
        case .blob(let bytes):
            code = bytes.withUnsafeBytes { raw in
                guard raw.count <= Int32.max else { return SQLITE_TOOBIG }
                // A nil pointer would bind NULL; an empty blob is a zero blob.
                guard let base = raw.baseAddress, raw.count > 0 else {
                    return sqlite3_bind_zeroblob(statement, index, 0)
                }
                return sqlite3_bind_blob(
                    statement, index, base, Int32(raw.count), steward_sqlite_transient())
            }
        }
        guard code == SQLITE_OK else {
            throw SQLiteError("sqlite3_bind", code: code, database: database)
        }
    }

    /// Runs the statement one step: true when a row is ready, false when done.
    /// Wraps `sqlite3_step`.
    package func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(live) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code: throw SQLiteError("sqlite3_step", code: code, database: database)
        }
    }

    /// The current row; valid until the next `step` or `reset`.
    package var row: SQLiteRow { SQLiteRow(statement: live) }
}

/// The columns of the current row of a statement.
package struct SQLiteRow {
    fileprivate let statement: OpaquePointer

    /// Wraps `sqlite3_column_type`.
    package func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(statement, column) == SQLITE_NULL
    }

    /// Wraps `sqlite3_column_int64`.
    package func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(statement, column)
    }

    package func int(_ column: Int32) -> Int { Int(int64(column)) }

    package func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : int64(column)
    }

    /// Wraps `sqlite3_column_text` and `sqlite3_column_bytes` (in that order,
    /// as SQLite requires), so text with a NUL is read whole.
    package func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    package func optionalText(_ column: Int32) -> String? {
        isNull(column) ? nil : text(column)
    }

    /// Wraps `sqlite3_column_blob` and `sqlite3_column_bytes`.
    package func blob(_ column: Int32) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(statement, column) else { return [] }
        let count = Int(sqlite3_column_bytes(statement, column))
        return [UInt8](UnsafeRawBufferPointer(start: bytes, count: count))
    }
}

import CSQLite

/// A failed SQLite call: which function, its result code (extended, such as
/// `SQLiteExtendedCode.constraintUnique`) and SQLite's message.
///
/// SQLite's messages name tables, columns and constraints, never the bound
/// values, so they carry no secrets; still, they are for the log only
/// (``StoreError/detail``), not for clients.
package struct SQLiteError: Error, Sendable, CustomStringConvertible {
    package var function: String
    package var extendedCode: Int32
    package var message: String

    package init(_ function: String, code: Int32, message: String) {
        self.function = function
        self.extendedCode = code
        self.message = message
    }

    /// Reads the code and message of the last failure on `handle`.
    /// Wraps `sqlite3_extended_errcode` and `sqlite3_errmsg`.
    package init(_ function: String, code: Int32, database handle: OpaquePointer?) {
        let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        self.init(function, code: code, message: message)
    }

    /// The primary result code, such as `SQLITE_CONSTRAINT`.
    package var primaryCode: Int32 { extendedCode & 0xFF }

    package var isConstraint: Bool { primaryCode == SQLITE_CONSTRAINT }
    package var isUniqueViolation: Bool {
        extendedCode == SQLiteExtendedCode.constraintUnique || extendedCode == SQLiteExtendedCode.constraintPrimaryKey
    }
    package var isCheckViolation: Bool { extendedCode == SQLiteExtendedCode.constraintCheck }
    /// A `RAISE(ABORT, …)` from a trigger; `message` is the trigger's text.
    package var isTriggerRefusal: Bool { extendedCode == SQLiteExtendedCode.constraintTrigger }
    package var isForeignKeyViolation: Bool { extendedCode == SQLiteExtendedCode.constraintForeignKey }

    /// For a CHECK violation, the constraint's name, from SQLite's
    /// "CHECK constraint failed: <name>".
    package var checkConstraintName: String? {
        guard isCheckViolation, let range = message.range(of: "CHECK constraint failed: ") else {
            return nil
        }
        return String(message[range.upperBound...])
    }

    /// For a UNIQUE violation, whether it is on `columns` ("table.column, …"
    /// as SQLite names them) or on the index named `columns`.
    package func isUniqueViolation(on columns: String) -> Bool {
        isUniqueViolation && (message.hasSuffix(": " + columns) || message.hasSuffix("index '\(columns)'"))
    }

    package var description: String {
        "\(function): \(message) (SQLite result code \(extendedCode))"
    }
}

/// SQLite's extended result codes are function-like macros, which Swift does
/// not import; their values are fixed by SQLite's ABI (sqlite3.h).
package enum SQLiteExtendedCode {
    package static let constraintCheck = SQLITE_CONSTRAINT | (1 << 8)
    package static let constraintForeignKey = SQLITE_CONSTRAINT | (3 << 8)
    package static let constraintNotNull = SQLITE_CONSTRAINT | (5 << 8)
    package static let constraintPrimaryKey = SQLITE_CONSTRAINT | (6 << 8)
    package static let constraintTrigger = SQLITE_CONSTRAINT | (7 << 8)
    package static let constraintUnique = SQLITE_CONSTRAINT | (8 << 8)
}

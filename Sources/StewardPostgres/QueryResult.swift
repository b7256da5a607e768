import CLibPQ

/// Owns one `PGresult` and clears it (`PQclear`) exactly once.
final class ResultHandle {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { PQclear(pointer) }

    /// The error this result carries (`PQresultErrorField`).
    func error() -> PostgresError {
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(pointer, Int32(code)).map { String(cString: $0) }
        }
        // PG_DIAG_* are character macros: 'C' SQLSTATE, 'V' severity,
        // 'M' message, 'D' detail, 'H' hint.
        let sqlState = field(UInt8(ascii: "C"))
        let message = field(UInt8(ascii: "M"))
            ?? PQresultErrorMessage(pointer).map { trimmed(String(cString: $0)) }
            ?? "the server reported an error"
        return PostgresError(
            kind: sqlState == "57014" ? .timeout : .server, message: message, sqlState: sqlState,
            severity: field(UInt8(ascii: "V")), detail: field(UInt8(ascii: "D")), hint: field(UInt8(ascii: "H")))
    }
}

/// The rows of a statement, copied out of the `PGresult` (text format) so
/// that nothing refers to libpq memory afterwards.
public struct QueryResult: Sendable {
    public let columns: [String]
    public let rows: [PostgresRow]

    init(columns: [String], rows: [PostgresRow]) {
        self.columns = columns
        self.rows = rows
    }

    init(copying result: ResultHandle) {
        let pointer = result.pointer
        let columnCount = Int(PQnfields(pointer))
        let names = (0..<columnCount).map { String(cString: PQfname(pointer, Int32($0))) }
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        let rows = (0..<Int(PQntuples(pointer))).map { row in
            PostgresRow(
                columnIndex: index,
                values: (0..<columnCount).map { column -> String? in
                    guard PQgetisnull(pointer, Int32(row), Int32(column)) == 0 else { return nil }
                    return String(cString: PQgetvalue(pointer, Int32(row), Int32(column)))
                })
        }
        self.init(columns: names, rows: rows)
    }
}

/// One column of a result, found by name once (``QueryResult/column(_:)``)
/// so that reading many rows costs no lookup by name per field.
public struct ResultColumn: Sendable {
    public let name: String
    let position: Int
}

extension QueryResult {
    public func column(_ name: String) throws(PostgresError) -> ResultColumn {
        guard let position = columns.firstIndex(of: name) else {
            throw PostgresError(kind: .decoding, message: "no column \"\(name)\" in the result")
        }
        return ResultColumn(name: name, position: position)
    }
}

/// One row, with values read by column (or column name) and type.
public struct PostgresRow: Sendable {
    let columnIndex: [String: Int]
    public let values: [String?]

    private func column(_ name: String) throws(PostgresError) -> ResultColumn {
        guard let position = columnIndex[name] else {
            throw PostgresError(kind: .decoding, message: "no column \"\(name)\" in the result")
        }
        return ResultColumn(name: name, position: position)
    }

    /// The raw text of `column`, nil for SQL NULL.
    public func text(_ column: String) throws(PostgresError) -> String? { text(try self.column(column)) }
    public func string(_ column: String) throws(PostgresError) -> String { try string(try self.column(column)) }
    public func int(_ column: String) throws(PostgresError) -> Int { try int(try self.column(column)) }
    public func bool(_ column: String) throws(PostgresError) -> Bool { try bool(try self.column(column)) }

    public func text(_ column: ResultColumn) -> String? { values[column.position] }

    public func string(_ column: ResultColumn) throws(PostgresError) -> String {
        guard let value = text(column) else {
            throw PostgresError(kind: .decoding, message: "column \"\(column.name)\" is NULL")
        }
        return value
    }

    public func int(_ column: ResultColumn) throws(PostgresError) -> Int {
        let value = try string(column)
        guard let number = Int(value) else {
            throw PostgresError(kind: .decoding, message: "column \"\(column.name)\" is not an integer: \(value)")
        }
        return number
    }

    /// PostgreSQL's text form of booleans is `t` / `f`.
    public func bool(_ column: ResultColumn) throws(PostgresError) -> Bool {
        switch try string(column) {
        case "t": return true
        case "f": return false
        case let other: throw PostgresError(kind: .decoding, message: "column \"\(column.name)\" is not a boolean: \(other)")
        }
    }
}

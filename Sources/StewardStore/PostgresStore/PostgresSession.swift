import Foundation
import StewardModel
import StewardPostgres

/// A value sent to PostgreSQL as a text-format parameter; nil is SQL NULL.
protocol PostgresBindable {
    var postgresText: String? { get }
}

extension String: PostgresBindable { var postgresText: String? { self } }
extension Int: PostgresBindable { var postgresText: String? { String(self) } }
extension Int64: PostgresBindable { var postgresText: String? { String(self) } }
extension Int32: PostgresBindable { var postgresText: String? { String(self) } }
extension UInt32: PostgresBindable { var postgresText: String? { String(self) } }
extension Bool: PostgresBindable { var postgresText: String? { self ? "true" : "false" } }

/// Bytes go as `bytea` in its hex text form (`\x0a1b…`).
extension Array: PostgresBindable where Element == UInt8 {
    var postgresText: String? {
        let digits = Array<UInt8>("0123456789abcdef".utf8)
        var text: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        text.reserveCapacity(2 + count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    var postgresText: String? { self.flatMap(\.postgresText) }
}

/// One store call's use of the store's connection: statements with bound
/// parameters, each under the store's statement deadline, inside the
/// transaction the store opened. Remembers whether the connection broke,
/// so that the store drops it and connects afresh for the next call.
///
/// Used only under the store's lock (one call at a time), hence unchecked.
final class PostgresSession: @unchecked Sendable {
    let connection: PostgresConnection
    let statementTimeoutMilliseconds: Int
    /// The connection can no longer be trusted (lost, or a statement was
    /// cut off by its deadline): the store discards it after this call.
    private(set) var isBroken = false
    /// Statements that completed; zero means the call changed nothing, so
    /// a connection found broken at its first statement may be retried.
    private(set) var completedStatements = 0

    /// The statements this connection has prepared, by text: the registry's
    /// statements are fixed texts, so each is parsed and planned once per
    /// session rather than on every call (the caller lookup every RPC
    /// makes among them).
    private var prepared: [String: String] = [:]
    /// How many texts a session prepares at most; later ones run unprepared.
    static let maximumPrepared = 256

    /// While a read runs its first statement outside a transaction (see
    /// ``beginSingleStatementRead()``): how many statements it has asked for.
    private var singleStatementRead: Int?
    /// A read asked for a second statement outside a transaction: its
    /// snapshot would not be one, so the read is run again in one.
    private(set) var readNeedsTransaction = false

    init(connection: PostgresConnection, statementTimeoutMilliseconds: Int) {
        self.connection = connection
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
    }

    /// Starts a call's bookkeeping afresh.
    func beginCall() {
        isBroken = false
        completedStatements = 0
        singleStatementRead = nil
        readNeedsTransaction = false
    }

    /// Runs the next statement on its own, outside any transaction: one
    /// statement sees one snapshot by itself, and a read of one statement
    /// (a caller lookup, a Connections.Get) then costs one round trip, not
    /// three with BEGIN and COMMIT. A second statement is refused and marks
    /// ``readNeedsTransaction``: the caller runs the read again in a
    /// transaction (reads change nothing, so running one twice is safe).
    func beginSingleStatementRead() {
        singleStatementRead = 0
        readNeedsTransaction = false
    }

    func endSingleStatementRead() {
        singleStatementRead = nil
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    func query(_ sql: String, _ values: any PostgresBindable...) throws -> [PostgresRow] {
        try query(sql, values: values)
    }

    func query(_ sql: String, values: [any PostgresBindable]) throws -> [PostgresRow] {
        let texts = values.map(\.postgresText)
        // libpq passes parameters as C strings: a NUL would silently cut a
        // value short, so it is refused instead.
        for case let text? in texts where text.utf8.contains(0) {
            throw StoreError(.invalidArgument, "a value contains a NUL character, which the registry cannot store")
        }
        if let asked = singleStatementRead {
            guard asked == 0 else {
                readNeedsTransaction = true
                throw StoreError(.unavailable, "a read of several statements runs in a transaction")
            }
            singleStatementRead = 1
        }
        do {
            let result = try run(sql, texts, deadline: .within(milliseconds: statementTimeoutMilliseconds))
            completedStatements += 1
            return result.rows
        } catch {
            if error.breaksConnection || error.invalidatesPreparedStatements { isBroken = true }
            throw error
        }
    }

    /// Runs a statement, as a prepared one when it is a query or a change
    /// with a fixed text (transaction control goes as it is).
    private func run(_ sql: String, _ texts: [String?], deadline: Deadline) throws(PostgresError) -> QueryResult {
        guard Self.isPreparable(sql) else { return try connection.query(sql, texts, deadline: deadline) }
        if let name = prepared[sql] { return try connection.query(prepared: name, texts, deadline: deadline) }
        guard prepared.count < Self.maximumPrepared else { return try connection.query(sql, texts, deadline: deadline) }
        let name = "steward_\(prepared.count + 1)"
        try connection.prepare(name, sql, parameterCount: texts.count, deadline: deadline)
        // Remembered once prepared (a failed Parse leaves no statement),
        // whatever its first run does.
        prepared[sql] = name
        return try connection.query(prepared: name, texts, deadline: deadline)
    }

    private static func isPreparable(_ sql: String) -> Bool {
        let start = sql.prefix { !$0.isWhitespace && $0 != "(" }.uppercased()
        return ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].contains(start)
    }

    /// The first row, or nil.
    func queryFirst(_ sql: String, _ values: any PostgresBindable...) throws -> PostgresRow? {
        try query(sql, values: values).first
    }

    /// Runs `body` between BEGIN (`begin` is the full statement) and
    /// COMMIT; any error rolls the transaction back. With `commit` false it
    /// is rolled back even on success (a dry run).
    func transaction<Result>(_ begin: String, commit: Bool = true, _ body: (PostgresSession) throws -> Result) throws
        -> Result
    {
        try query(begin)
        let result: Result
        do {
            result = try body(self)
        } catch {
            rollback()
            throw error
        }
        if commit {
            try query("COMMIT")
        } else {
            try query("ROLLBACK")
        }
        return result
    }

    /// Runs `body` under a savepoint: when it fails, only its own work is
    /// undone and the transaction stays usable (PostgreSQL would otherwise
    /// refuse every later statement of the transaction).
    func savepoint<Result>(_ name: String = "step", _ body: () throws -> Result) throws -> Result {
        try query("SAVEPOINT \(name)")
        do {
            let result = try body()
            try query("RELEASE SAVEPOINT \(name)")
            return result
        } catch {
            if !isBroken {
                try query("ROLLBACK TO SAVEPOINT \(name)")
                try query("RELEASE SAVEPOINT \(name)")
            }
            throw error
        }
    }

    private func rollback() {
        guard !isBroken else { return }
        do {
            try query("ROLLBACK")
        } catch {
            isBroken = true
        }
    }
}

extension PostgresError {
    /// Whether the connection is unusable after this error: it broke, a
    /// statement was cut off at its deadline, or the server is going away.
    var breaksConnection: Bool {
        switch kind {
        case .connectionLost, .timeout, .unreachable: return true
        default:
            guard let sqlState else { return false }
            return sqlState.hasPrefix("08") || sqlState.hasPrefix("57P")
        }
    }

    /// A prepared statement whose tables changed shape under it (another
    /// daemon upgraded the schema): the session is replaced, and with it
    /// every statement it prepared.
    var invalidatesPreparedStatements: Bool {
        sqlState == "0A000" && message.contains("cached plan")
    }
}

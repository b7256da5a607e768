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
    /// Nil for a call's batched read, which has no connection of its own.
    let connection: PostgresConnection?
    /// Where a batched read sends its statement.
    private let batcher: PostgresReadBatcher?
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

    /// Whether the open transaction holds the usernames lock (a
    /// transaction-scoped advisory lock): a group's later members, and a
    /// write that asks twice, skip the round trip of taking it again.
    var holdsUsernamesLock = false
    /// ``holdsUsernamesLock`` when the group member under way began: a
    /// lock its savepoint took goes when the savepoint is rolled back.
    var usernamesLockBeforeMember = false

    /// Statements whose rows nobody reads (a group member's SAVEPOINT and
    /// RELEASE), sent in one round trip with the next statement
    /// (``PostgresConnection/pipeline(_:deadline:)``) instead of one each.
    private var deferred: [String] = []
    /// A deferred statement failed: the transaction's state is not what its
    /// writers think (a savepoint may be missing), so none of it may commit.
    private(set) var deferredStatementFailed = false

    init(connection: PostgresConnection, statementTimeoutMilliseconds: Int) {
        self.connection = connection
        self.batcher = nil
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
    }

    /// A call's session for a read of one statement, sent in the next batch
    /// of `batcher` rather than on a connection of its own; a second
    /// statement is refused as on any session (``beginSingleStatementRead()``).
    init(batchingReadsThrough batcher: PostgresReadBatcher, statementTimeoutMilliseconds: Int) {
        self.connection = nil
        self.batcher = batcher
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
    }

    /// Starts a call's bookkeeping afresh.
    func beginCall() {
        isBroken = false
        completedStatements = 0
        singleStatementRead = nil
        readNeedsTransaction = false
        forgetTransactionState()
    }

    /// What a transaction held and owed, dropped when it begins (or a call
    /// does): no lock held, no statement waiting to be sent, none failed.
    private func forgetTransactionState() {
        holdsUsernamesLock = false
        deferred = []
        deferredStatementFailed = false
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

    /// Sends `sql` (a statement without parameters whose rows nobody reads)
    /// with the next statement, in the same round trip. Its failure makes
    /// that statement fail, and marks ``deferredStatementFailed``.
    func deferStatement(_ sql: String) {
        deferred.append(sql)
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
        let deadline = Deadline.within(milliseconds: statementTimeoutMilliseconds)
        if let batcher {
            // Its own session's breakage is the batch leader's to handle.
            let result = try batcher.run(sql, texts, deadline: deadline)
            completedStatements += 1
            return result.rows
        }
        do {
            let result = try run(sql, texts, deadline: deadline)
            completedStatements += 1
            return result.rows
        } catch {
            if error.breaksConnection || error.invalidatesPreparedStatements { isBroken = true }
            throw error
        }
    }

    /// Runs one-statement reads of several calls in one round trip, each
    /// alone (its own implicit transaction and snapshot), and returns each
    /// one's rows or error in order. A statement that fails ends its
    /// pipeline; the statements after it are sent again (reads change
    /// nothing). Only a lost connection or a passed deadline is thrown.
    func runBatch(_ statements: [(sql: String, texts: [String?])], deadline: Deadline) throws(PostgresError)
        -> [Result<QueryResult, PostgresError>]
    {
        guard let connection else { throw PostgresError(kind: .connectionLost, message: "not a registry session") }
        do {
            var pipelined: [PostgresConnection.PipelinedStatement] = []
            for statement in statements {
                pipelined.append(try preparedForm(statement.sql, statement.texts, on: connection, deadline: deadline))
            }
            var outcomes: [Result<QueryResult, PostgresError>] = []
            while outcomes.count < pipelined.count {
                let outcome = try connection.pipeline(Array(pipelined[outcomes.count...]), deadline: deadline)
                outcomes += outcome.results.map { .success($0) }
                if let failure = outcome.failure {
                    if failure.error.invalidatesPreparedStatements { isBroken = true }
                    outcomes.append(.failure(failure.error))
                }
            }
            completedStatements += statements.count
            return outcomes
        } catch {
            if error.breaksConnection { isBroken = true }
            throw error
        }
    }

    /// Runs a statement, as a prepared one when it is a query or a change
    /// with a fixed text (transaction control goes as it is), after the
    /// deferred statements, if any, in the same round trip.
    private func run(_ sql: String, _ texts: [String?], deadline: Deadline) throws(PostgresError) -> QueryResult {
        guard let connection else { throw PostgresError(kind: .connectionLost, message: "not a registry session") }
        let statement = try preparedForm(sql, texts, on: connection, deadline: deadline)
        guard deferred.isEmpty else {
            let sent = deferred.map { PostgresConnection.PipelinedStatement.text($0, []) } + [statement]
            let count = deferred.count
            deferred = []
            let outcome = try connection.pipeline(sent, deadline: deadline)
            if let failure = outcome.failure {
                // A deferred statement that failed leaves the transaction
                // other than its writers think (a savepoint missing).
                if failure.index < count { deferredStatementFailed = true }
                throw failure.error
            }
            return outcome.results[count]
        }
        switch statement {
        case .prepared(let name, _): return try connection.query(prepared: name, texts, deadline: deadline)
        case .text: return try connection.query(sql, texts, deadline: deadline)
        }
    }

    /// `sql` as this connection runs it: a prepared statement (prepared on
    /// first use) when it is a query or a change with a fixed text,
    /// otherwise the text itself (transaction control).
    private func preparedForm(
        _ sql: String, _ texts: [String?], on connection: PostgresConnection, deadline: Deadline
    ) throws(PostgresError) -> PostgresConnection.PipelinedStatement {
        guard Self.isPreparable(sql) else { return .text(sql, texts) }
        if let name = prepared[sql] { return .prepared(name, texts) }
        guard prepared.count < Self.maximumPrepared else { return .text(sql, texts) }
        let name = "steward_\(prepared.count + 1)"
        try connection.prepare(name, sql, parameterCount: texts.count, deadline: deadline)
        // Remembered once prepared (a failed Parse leaves no statement),
        // whatever its first run does.
        prepared[sql] = name
        return .prepared(name, texts)
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
        try beginTransaction(begin)
        let result: Result
        do {
            result = try body(self)
        } catch {
            rollback()
            throw error
        }
        try endTransaction(commit ? "COMMIT" : "ROLLBACK")
        return result
    }

    /// Opens a transaction (`begin` is the full statement); it holds no lock yet.
    func beginTransaction(_ begin: String) throws {
        forgetTransactionState()
        try query(begin)
    }

    /// Ends the open transaction with `end` (COMMIT or ROLLBACK), and its locks with it.
    func endTransaction(_ end: String) throws {
        holdsUsernamesLock = false
        // What a rollback undoes need not be sent first (and one that
        // failed would stop the ROLLBACK with it).
        if end == "ROLLBACK" { deferred = [] }
        try query(end)
    }

    /// Runs `body` under a savepoint: when it fails, only its own work is
    /// undone and the transaction stays usable (PostgreSQL would otherwise
    /// refuse every later statement of the transaction).
    func savepoint<Result>(_ name: String = "step", _ body: () throws -> Result) throws -> Result {
        try query("SAVEPOINT \(name)")
        let heldLock = holdsUsernamesLock
        do {
            let result = try body()
            try query("RELEASE SAVEPOINT \(name)")
            return result
        } catch {
            if !isBroken {
                try query("ROLLBACK TO SAVEPOINT \(name)")
                try query("RELEASE SAVEPOINT \(name)")
                // A lock the savepoint took went with it.
                holdsUsernamesLock = heldLock
            }
            throw error
        }
    }

    private func rollback() {
        guard !isBroken else { return }
        do {
            try endTransaction("ROLLBACK")
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

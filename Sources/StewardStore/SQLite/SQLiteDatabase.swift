import CSQLite

/// One SQLite database connection. Owns the `sqlite3*`, which ``close()``
/// (or `deinit`) releases exactly once with `sqlite3_close_v2`, after
/// finalizing every cached statement.
///
/// Not thread-safe and not `Sendable`: one owner uses it at a time (the
/// store keeps it behind a `Mutex`), which is also why it is opened with
/// `SQLITE_OPEN_NOMUTEX`.
package final class SQLiteDatabase {
    private var handle: OpaquePointer?
    /// Prepared once, reused: most store calls run the same few statements.
    private var cache: [String: SQLiteStatement] = [:]
    package let path: String

    /// Opens (and with `create`, creates) the database at `path`.
    /// Wraps `sqlite3_open_v2`; on failure the half-opened handle is closed.
    ///
    /// `SQLITE_OPEN_NOFOLLOW`: a path with a symlink in it is refused
    /// (SQLITE_CANTOPEN_SYMLINK), so that a link planted where the store
    /// lives cannot have the daemon write through it to another file.
    package init(path: String, create: Bool = true) throws(SQLiteError) {
        self.path = path
        _ = Self.processSettings
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_NOFOLLOW
        if create { flags |= SQLITE_OPEN_CREATE }
        var database: OpaquePointer?
        let code = sqlite3_open_v2(path, &database, flags, nil)
        guard code == SQLITE_OK, let database else {
            // sqlite3_open_v2 allocates a handle even when it fails; it holds
            // the message and must still be closed.
            let error = SQLiteError("sqlite3_open_v2", code: code, database: database)
            sqlite3_close_v2(database)
            throw error
        }
        sqlite3_extended_result_codes(database, 1)
        self.handle = database
    }

    /// What SQLite is told once per process, before its first open
    /// initializes it: no memory statistics, whose upkeep puts one global
    /// mutex around every allocation of every connection (see the shim).
    /// The result code, kept for the test that checks it took effect.
    package static let processSettings: Int32 = steward_sqlite_disable_memory_statistics()

    deinit {
        close()
    }

    package var isOpen: Bool { handle != nil }

    /// Finalizes cached statements and closes the connection. Safe to call
    /// twice. Wraps `sqlite3_close_v2`, which also checkpoints the WAL when
    /// this is the last connection.
    package func close() {
        for statement in cache.values { statement.finalize() }
        cache.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    private func live() throws(SQLiteError) -> OpaquePointer {
        guard let handle else {
            throw SQLiteError("sqlite3", code: SQLITE_MISUSE, message: "the database is closed")
        }
        return handle
    }

    /// Waits up to `milliseconds` for another connection's lock before
    /// failing with SQLITE_BUSY. Wraps `sqlite3_busy_timeout`.
    package func setBusyTimeout(milliseconds: Int32) throws(SQLiteError) {
        let code = sqlite3_busy_timeout(try live(), milliseconds)
        guard code == SQLITE_OK else {
            throw SQLiteError("sqlite3_busy_timeout", code: code, database: handle)
        }
    }

    /// Runs `script`, which may hold several statements and no parameters:
    /// schema migrations and fixed pragmas only, never values.
    /// Wraps `sqlite3_exec`.
    package func execute(script: String) throws(SQLiteError) {
        let database = try live()
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(database, script, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            throw SQLiteError("sqlite3_exec", code: sqlite3_extended_errcode(database), message: text)
        }
    }

    /// Hands `body` a prepared statement for `sql`, reset and unbound, and
    /// resets it afterwards, on every path. Statements are cached; a nested
    /// use of SQL that is already in use gets a fresh statement that is
    /// finalized when `body` returns or throws.
    package func withStatement<Result>(
        _ sql: String, _ body: (SQLiteStatement) throws -> Result
    ) throws -> Result {
        let database = try live()
        if let cached = cache[sql], !cached.isInUse {
            cached.isInUse = true
            defer {
                cached.reset()
                cached.isInUse = false
            }
            return try body(cached)
        }
        if cache[sql] == nil {
            let statement = try SQLiteStatement(database: database, sql: sql, persistent: true)
            cache[sql] = statement
            statement.isInUse = true
            defer {
                statement.reset()
                statement.isInUse = false
            }
            return try body(statement)
        }
        let statement = try SQLiteStatement(database: database, sql: sql, persistent: false)
        defer { statement.finalize() }
        return try body(statement)
    }

    /// Runs one statement that returns no rows, with `values` bound to its
    /// parameters; returns the number of rows it changed.
    /// Wraps `sqlite3_changes64`.
    @discardableResult
    package func run(_ sql: String, _ values: any SQLiteBindable...) throws -> Int {
        try run(sql, values: values)
    }

    @discardableResult
    package func run(_ sql: String, values: [any SQLiteBindable]) throws -> Int {
        try withStatement(sql) { statement in
            try statement.bind(values)
            while try statement.step() {}
            return Int(sqlite3_changes64(try live()))
        }
    }

    /// Runs a query and maps each row with `transform`.
    package func query<Row>(
        _ sql: String, _ values: any SQLiteBindable..., as transform: (SQLiteRow) throws -> Row
    ) throws -> [Row] {
        try query(sql, values: values, as: transform)
    }

    package func query<Row>(
        _ sql: String, values: [any SQLiteBindable], as transform: (SQLiteRow) throws -> Row
    ) throws -> [Row] {
        try withStatement(sql) { statement in
            try statement.bind(values)
            var rows: [Row] = []
            while try statement.step() { rows.append(try transform(statement.row)) }
            return rows
        }
    }

    /// The first row of a query, mapped, or nil when there is none.
    package func queryFirst<Row>(
        _ sql: String, _ values: any SQLiteBindable..., as transform: (SQLiteRow) throws -> Row
    ) throws -> Row? {
        try withStatement(sql) { statement in
            try statement.bind(values)
            return try statement.step() ? transform(statement.row) : nil
        }
    }

    /// The rowid of the last row inserted. Wraps `sqlite3_last_insert_rowid`.
    package var lastInsertRowID: Int64 {
        handle.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    /// Whether no transaction is open. Wraps `sqlite3_get_autocommit`.
    package var isAutocommit: Bool {
        handle.map { sqlite3_get_autocommit($0) != 0 } ?? true
    }
}

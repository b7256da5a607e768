extension SQLiteDatabase {
    package enum TransactionMode: String {
        /// Takes the write lock at BEGIN, so a writer never fails half-way
        /// with SQLITE_BUSY when it first writes.
        case immediate = "BEGIN IMMEDIATE"
        /// For reads that must see one consistent snapshot.
        case deferred = "BEGIN DEFERRED"
    }

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it
    /// (or the commit) throws, so no half-written change is ever left.
    package func transaction<Result>(
        _ mode: TransactionMode = .immediate, _ body: () throws -> Result
    ) throws -> Result {
        try control(mode.rawValue)
        do {
            let result = try body()
            try control("COMMIT")
            return result
        } catch {
            // SQLite may already have rolled back (on SQLITE_FULL, for one);
            // a second ROLLBACK would fail and hide the real error.
            if !isAutocommit { try? control("ROLLBACK") }
            throw error
        }
    }

    /// Runs one fixed transaction-control statement (BEGIN, COMMIT,
    /// SAVEPOINT…) as a cached prepared statement: every read and write
    /// begins and ends a transaction, and `sqlite3_exec` would parse the
    /// text again each time.
    package func control(_ sql: String) throws {
        try withStatement(sql) { statement in
            while try statement.step() {}
        }
    }

    /// Runs `body` inside a savepoint: on failure, only its changes are undone
    /// and the enclosing transaction goes on.
    package func savepoint<Result>(_ name: String, _ body: () throws -> Result) throws -> Result {
        precondition(name.allSatisfy { $0.isLetter || $0 == "_" }, "savepoint names are fixed identifiers")
        try execute(script: "SAVEPOINT \(name)")
        do {
            let result = try body()
            try execute(script: "RELEASE \(name)")
            return result
        } catch {
            try? execute(script: "ROLLBACK TO \(name)")
            try? execute(script: "RELEASE \(name)")
            throw error
        }
    }

    /// `PRAGMA user_version`: the schema version stored in the file header.
    package func userVersion() throws -> Int {
        try queryFirst("PRAGMA user_version") { $0.int(0) } ?? 0
    }
}

import CSQLite
import Foundation
import Glibc
import Synchronization

/// The registry in one SQLite file (DESIGN §5, embedded default).
///
/// One connection for writes, behind a `Mutex`, and a small pool of
/// query-only connections for reads (``SQLiteReadPool``). SQLite has one
/// writer at a time; concurrent writes are committed together by a
/// ``GroupCommitQueue``, each in a savepoint of its own, so the write rate
/// is not one fsync per write. Calls block: the daemon makes them on its
/// ``BlockingExecutor``, never on the cooperative pool or an I/O queue.
///
/// Durability: the journal is a WAL and `synchronous=FULL`, so COMMIT
/// returns only after the WAL is fsync'ed. `kill -9` alone would not lose a
/// WAL commit even with NORMAL (the bytes are in the kernel's page cache),
/// but a power loss or kernel crash right after an acknowledged write would;
/// FULL makes "acknowledged" mean "on disk", at the cost of one fsync per
/// write transaction.
public final class SQLiteRegistryStore: RegistryStore {
    public let backend = "sqlite"
    /// WAL readers on a local file: a read never waits for the writer.
    public let readsArePrompt = true
    public let path: String
    let cipher: SecretCipher
    /// MACs the permission rows, as in the shared registry.
    let grants: GrantAuthenticator
    /// Which rows with a bad MAC this store has reported.
    let unverifiedGrants = UnverifiedGrantLog()
    let clock: @Sendable () -> Date
    /// The connection every write (and migrations, and tools) goes through.
    private let database: Mutex<SQLiteDatabase?>
    /// Query-only connections for reads. In WAL mode each reads the last
    /// committed snapshot while a write transaction runs, so a long write (a
    /// large mapping import) does not hold up the caller lookups and reads
    /// that every other call makes.
    private let readers: SQLiteReadPool
    /// Gathers concurrent writes into shared transactions.
    private let writes = GroupCommitQueue<SQLiteDatabase>()
    /// Moves on each time the write connection is let go: every write goes
    /// through it, and the state directory's lock keeps other daemons out.
    private let commits = CommitCounter()
    /// The caller lookup and the Gets' reads, answered from memory until
    /// the next write (``RegistryReadCaches``).
    let readCaches: RegistryReadCaches?

    /// How many read connections: enough that the blocking pool's threads
    /// seldom wait for one, and as many as the server has I/O lanes, which
    /// make reads inline (they share the pool with the blocking pool's
    /// reads; 24 connections changed nothing in `steward-bench load`'s
    /// reads-beside-writers run); each costs a file descriptor and a page
    /// cache.
    public static let readConnections = 8

    /// How long a call waits for a lock held by another connection (only a
    /// tool opening the file beside the daemon) before failing as busy.
    static let busyTimeoutMilliseconds: Int32 = 5_000

    /// Opens (creating if needed) the store at `path`, checks that `key` is
    /// this store's key, and upgrades the schema. Prefer
    /// ``StateDirectory/open(at:clock:)``, which also locks the directory and
    /// manages the key file.
    public init(
        path: String, key: StoreKey, clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(StoreError) {
        self.path = path
        self.cipher = SecretCipher(key: key)
        self.grants = GrantAuthenticator(key: key)
        self.clock = clock
        let connection: SQLiteDatabase
        var readConnections: [SQLiteDatabase] = []
        do {
            try Self.createPrivately(path)
            connection = try SQLiteDatabase(path: path)
            try Self.configure(connection, path: path)
            try Self.prepareSchema(connection, path: path, cipher: cipher, grants: grants)
            // The writer's statement journals (a multi-row INSERT may have
            // to undo itself) stay in memory: on a temporary file, a first
            // sync of 100,000 tables wrote three times its own size there
            // (each statement's journal is dropped when the statement ends).
            try connection.execute(script: "PRAGMA temp_store = MEMORY;")
            for _ in 0..<Self.readConnections {
                let reader = try SQLiteDatabase(path: path)
                readConnections.append(reader)
                try Self.configure(reader, path: path)
                try reader.execute(script: "PRAGMA query_only = ON;")
            }
        } catch let error as StoreError {
            throw error
        } catch let error as SQLiteError where error.primaryCode == SQLITE_NOTADB {
            throw StoreError(
                .corrupt, "\(path) is not a SQLite database; move it away or choose another --state-dir",
                detail: error.description)
        } catch let error as SQLiteError {
            throw StoreError(
                .unavailable, "cannot open the registry store \(path): \(error.message)",
                detail: error.description)
        } catch {
            throw StoreError(.io, "cannot open the registry store \(path)", detail: "\(error)")
        }
        self.database = Mutex(connection)
        self.readers = SQLiteReadPool(readConnections)
        self.readCaches = RegistryReadCaches(commits: commits)
    }

    /// Closes the database. Later calls fail as unavailable.
    public func close() {
        // Nothing read before is answered after: every read now fails.
        defer { commits.advance() }
        readers.close()
        database.withLock { connection in
            connection?.close()
            connection = nil
        }
    }

    /// Creates the file 0600 before SQLite does (SQLite would honour the
    /// umask), so the database and its -wal and -shm files, which SQLite
    /// gives the database's mode, are private.
    private static func createPrivately(_ path: String) throws(StoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            throw StoreError(
                .stateDirectoryUnusable,
                "cannot create the registry store \(path): \(String(cString: strerror(code)))")
        }
        Glibc.close(fd)
    }

    private static func configure(_ database: SQLiteDatabase, path: String) throws {
        try database.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        let journal = try database.queryFirst("PRAGMA journal_mode = WAL") { $0.text(0) }
        guard journal?.lowercased() == "wal" else {
            throw StoreError(
                .unavailable,
                "the registry store \(path) cannot use write-ahead logging (journal mode \(journal ?? "unknown")); "
                    + "put the state directory on a local file system")
        }
        try database.execute(
            script: """
                PRAGMA synchronous = FULL;
                PRAGMA foreign_keys = ON;
                PRAGMA trusted_schema = OFF;
                """)
        let foreignKeys = try database.queryFirst("PRAGMA foreign_keys") { $0.int(0) }
        guard foreignKeys == 1 else {
            throw StoreError(.io, "this SQLite library does not enforce foreign keys")
        }
    }

    /// Refuses a store this code cannot read (newer schema, foreign file, a
    /// key that is not its own), then upgrades it. The key is checked before
    /// any upgrade, so the wrong key never changes a store.
    private static func prepareSchema(
        _ database: SQLiteDatabase, path: String, cipher: SecretCipher, grants: GrantAuthenticator
    ) throws {
        let version = try database.userVersion()
        if version > Migration.latestVersion {
            throw StoreError(
                .schemaTooNew,
                "the registry store \(path) has schema version \(version), newer than this stewardd "
                    + "understands (\(Migration.latestVersion)); run a newer stewardd")
        }
        if version == 0 {
            let tables = try database.queryFirst("SELECT count(*) FROM sqlite_schema") { $0.int(0) } ?? 0
            guard tables == 0 else {
                throw StoreError(
                    .corrupt,
                    "\(path) holds tables but no Steward schema version; it is not a Steward registry")
            }
        } else {
            let check = try database.queryFirst("SELECT value FROM meta WHERE name = 'key_check'") {
                $0.blob(0)
            }
            guard let check else {
                throw StoreError(
                    .corrupt, "the registry store \(path) has no key check value; it is damaged")
            }
            guard cipher.verifyKeyCheck(check) else {
                throw StoreError(
                    .keyMismatch,
                    "the key file does not match the registry store \(path): it is another store's key "
                        + "or was changed; restore this store's key file")
            }
        }
        try Migrator.migrate(
            database,
            initialize: { database in
                try database.run(
                    "INSERT INTO meta (name, value) VALUES ('key_check', ?)", try cipher.makeKeyCheck())
            },
            afterStep: { version, database in
                // Grants from before version 3 get their MACs (the key check passed).
                if version == 3 { try macExistingGrants(database, grants: grants) }
            })
        try resealLegacyPasswords(database, cipher: cipher)
    }

    // MARK: - Running calls

    /// Runs `body` in a write transaction: all of it or none of it, and
    /// returns once that transaction is durably committed. Concurrent
    /// writes share one transaction and one COMMIT (``GroupCommitQueue``),
    /// `body` in a savepoint of its own, so its failure undoes its changes
    /// only. The call's pending audit event (``CallAuditEvent``), if any,
    /// is appended in the same savepoint unless `recordingCallEvent` is
    /// false (a write that changes nothing, or an event of its own).
    func write<Result: Sendable>(
        recordingCallEvent: Bool = true, _ body: (SQLiteDatabase) throws -> Result
    ) throws(StoreError) -> Result {
        // Read here, on the caller's task: the group's leader runs `body`
        // on its own thread, where the task-local is the leader's.
        let call = recordingCallEvent ? CallAuditEvent.current : nil
        let result: Result
        do {
            result = try writes.perform(access: { work in try withDatabase(work) }) { database in
                let result = try body(database)
                if let event = call?.pendingEvent() { _ = try Self.insertAuditEvent(event, in: database) }
                return result
            }
        } catch {
            throw Self.storeError(error)
        }
        call?.markCommitted()
        return result
    }

    /// Commits and the writes they carried since the store opened: fewer
    /// commits than writes shows writes were committed together.
    package var groupCommitStatistics: GroupCommitStatistics { writes.statistics }

    /// Runs `body` in one read transaction on a read connection, so it
    /// sees one committed snapshot and never waits for a writer.
    func read<Result: Sendable>(_ body: (SQLiteDatabase) throws -> Result) throws(StoreError) -> Result {
        do {
            return try readers.withConnection(closed: Self.closed) { database in
                try database.transaction(.deferred) { try body(database) }
            }
        } catch {
            throw Self.storeError(error)
        }
    }

    /// Hands `body` the open write connection under its lock; every error
    /// leaves as a ``StoreError``. For tests and tools (raw SQL against the schema).
    package func withDatabase<Result: Sendable>(
        _ body: (SQLiteDatabase) throws -> Result
    ) throws(StoreError) -> Result {
        // After the transaction has ended and before any writer in it is
        // answered (``GroupCommitQueue`` wakes them after this returns).
        defer { commits.advance() }
        return try Self.withConnection(database, body)
    }

    private static func withConnection<Result: Sendable>(
        _ slot: borrowing Mutex<SQLiteDatabase?>, _ body: (SQLiteDatabase) throws -> Result
    ) throws(StoreError) -> Result {
        let outcome: Swift.Result<Result, StoreError> = slot.withLock { connection in
            guard let connection, connection.isOpen else { return .failure(closed) }
            do {
                return .success(try body(connection))
            } catch {
                return .failure(storeError(error))
            }
        }
        return try outcome.get()
    }

    private static let closed = StoreError(.unavailable, "the registry store is closed")

    /// Every error leaves the store as a ``StoreError``.
    private static func storeError(_ error: any Error) -> StoreError {
        switch error {
        case let error as StoreError: error
        case let error as SQLiteError: StoreError(error)
        default: StoreError(.io, "the registry store failed", detail: "\(error)")
        }
    }

    /// The current time, as the store will give it back.
    func now() -> (date: Date, microseconds: Int64) {
        let microseconds = StoreTime.microseconds(clock())
        return (StoreTime.date(microseconds), microseconds)
    }
}

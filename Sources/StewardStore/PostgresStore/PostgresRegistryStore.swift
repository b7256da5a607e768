import Foundation
import StewardPostgres

/// The registry in PostgreSQL (DESIGN §5, shared mode): several daemons on
/// several hosts serve one registry, and the database, not a daemon's
/// memory, enforces uniqueness and legal state changes.
///
/// Every object lives in the schema `steward_registry`; its version is
/// recorded in `schema_migrations` and upgraded at open under an advisory
/// lock. Secrets are sealed exactly as in SQLite (same ``SecretCipher``),
/// and a `meta` key check refuses a mismatched key before any change.
///
/// Two pools of libpq connections per store (``SessionPool``), like
/// SQLite's write and read connections: writes run on write sessions,
/// reads on read-only sessions that see the last committed snapshot, so a
/// long write (a large mapping import or sync) never holds up the caller
/// lookup every RPC makes, and concurrent calls use the registry side by
/// side (PostgreSQL commits concurrent write transactions together). Each
/// session prepares the statements it runs, once. Calls block on the
/// server, bounded by a statement deadline (or the call's, if sooner). A
/// connection that breaks fails its call as UNAVAILABLE and is replaced on
/// the next call on that session.
///
/// What protects each write against another daemon:
/// - creating a connection or a user: the unique constraints, used as
///   arbiters of `INSERT … ON CONFLICT DO NOTHING`, so the loser learns of
///   the winner without an error;
/// - changing, validating, syncing or deleting a connection: its row is
///   locked (`FOR NO KEY UPDATE` / `FOR UPDATE`) before the revision is
///   compared, so compare-and-set is exact: the second caller waits, then
///   sees the new revision (READ COMMITTED re-reads a locked row's newest
///   version) and gets ABORTED;
/// - identity mappings: the `username_claims` unique indexes and triggers,
///   under a transaction-scoped advisory lock (the usernames lock) that the
///   store's writes take first;
/// - audit events: append-only, identity ids.
public final class PostgresRegistryStore: RegistryStore {
    public let backend = "postgresql"
    /// Every read is a round trip to a server that may be slow or gone.
    public let readsArePrompt = false
    public let parameters: ConnectionParameters
    let cipher: SecretCipher
    /// MACs the permission rows (docs/shared-mode.md).
    let grants: GrantAuthenticator
    /// Which rows with a bad MAC this store has reported.
    let unverifiedGrants = UnverifiedGrantLog()
    let clock: @Sendable () -> Date
    let connectTimeoutMilliseconds: Int
    let statementTimeoutMilliseconds: Int

    /// How many times the store has tried to connect again since it opened,
    /// on its write and read sessions together; for tests.
    package var reconnectAttempts: Int { writers.reconnectAttempts + readers.reconnectAttempts }

    /// Sessions per pool unless the opener says otherwise: enough for the
    /// calls one daemon runs at once on a small host, few enough that
    /// several daemons stay well inside PostgreSQL's default 100 connections.
    public static let defaultReadSessions = 4
    public static let defaultWriteSessions = 4

    /// How long a failed connect answers for the registry (on that session)
    /// before the next call tries again.
    static let connectRetryNanoseconds: UInt64 = 2_000_000_000

    /// The sessions writes go through; the schema upgrade at open uses
    /// the first, before the others exist.
    private let writers: SessionPool
    /// Gathers concurrent writes into shared transactions on ``writers``.
    private let groupCommits = GroupCommitQueue<PostgresSession>(maxGroupSize: maxGroupSize)
    /// At most this many writes share a transaction: each is a
    /// subtransaction, and a transaction of more than 64 makes every other
    /// session's snapshots slower (PostgreSQL's subtransaction cache
    /// overflows).
    static let maxGroupSize = 48
    /// Read-only sessions, used only by ``read(_:)``. The first is opened at
    /// init rather than on the first read: a daemon reads on every RPC, so
    /// a lazy session would be opened one call later anyway, with its
    /// connect time charged to a caller's lookup; opening it here also
    /// reports a registry that cannot give the daemon two sessions (a
    /// connection limit) at start, not on the first call.
    private let readers: SessionPool
    /// Sends concurrent one-statement reads together, on ``readers``.
    private let batcher: PostgresReadBatcher
    /// The daemon's leases in the registry, on a session of their own
    /// (connected on first use: a daemon that neither rechecks nor syncs
    /// never opens it).
    let leaseSession: PostgresLeases
    /// A session of its own, for ``answers(withinMilliseconds:)`` only.
    let probe = RegistryProbeSession()

    /// Connects, checks that `key` is this registry's key, and creates or
    /// upgrades the schema.
    ///
    /// - Parameters:
    ///   - connectTimeoutMilliseconds: how long a connection attempt may take.
    ///   - statementTimeoutMilliseconds: how long one statement may run
    ///     before it is cancelled on the server and its call fails.
    public init(
        parameters: ConnectionParameters, key: StoreKey, clock: @escaping @Sendable () -> Date = { Date() },
        connectTimeoutMilliseconds: Int = 10_000, statementTimeoutMilliseconds: Int = 30_000,
        readSessions: Int = defaultReadSessions, writeSessions: Int = defaultWriteSessions
    ) throws(StoreError) {
        self.parameters = parameters
        self.cipher = SecretCipher(key: key)
        self.grants = GrantAuthenticator(key: key)
        self.clock = clock
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        let connectWriter: @Sendable () throws(StoreError) -> PostgresSession = { () throws(StoreError) in
            try Self.connect(
                parameters, readOnly: false, timeoutMilliseconds: connectTimeoutMilliseconds,
                statementTimeoutMilliseconds: statementTimeoutMilliseconds)
        }
        let connectReader: @Sendable () throws(StoreError) -> PostgresSession = { () throws(StoreError) in
            try Self.connect(
                parameters, readOnly: true, timeoutMilliseconds: connectTimeoutMilliseconds,
                statementTimeoutMilliseconds: statementTimeoutMilliseconds)
        }
        let session = try connectWriter()
        let readSession: PostgresSession
        do {
            try Self.prepareSchema(session, parameters: parameters, cipher: cipher, grants: grants)
            readSession = try connectReader()
        } catch {
            session.connection?.close()
            throw Self.storeError(error)
        }
        self.leaseSession = PostgresLeases(parameters: parameters, statementMilliseconds: statementTimeoutMilliseconds)
        self.writers = SessionPool(
            kind: "write", size: max(1, writeSessions), first: session, waitMilliseconds: statementTimeoutMilliseconds,
            connect: connectWriter)
        self.readers = SessionPool(
            kind: "read", size: max(1, readSessions), first: readSession, waitMilliseconds: statementTimeoutMilliseconds,
            connect: connectReader)
        self.batcher = PostgresReadBatcher(sessions: readers)
    }

    /// Opens the store named by a `postgresql://` URL or a libpq
    /// keyword/value string (``ConnectionParameters/parse(_:)``).
    public convenience init(
        connectionString: String, key: StoreKey, clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(StoreError) {
        try self.init(parameters: try ConnectionParameters.parse(connectionString), key: key, clock: clock)
    }

    /// Closes every session. Later calls fail as unavailable.
    public func close() {
        probe.close()
        leaseSession.close()
        readers.close()
        writers.close()
    }

    // MARK: - Connecting

    /// Opens one configured session; a `readOnly` one refuses changes even
    /// outside the read-only transactions ``read(_:)`` opens.
    private static func connect(
        _ parameters: ConnectionParameters, readOnly: Bool, timeoutMilliseconds: Int,
        statementTimeoutMilliseconds: Int
    ) throws(StoreError) -> PostgresSession {
        var parameters = parameters
        // The registry is the daemon's own database: its password may live in
        // ~/.pgpass, and a vanished peer must release its locks soon.
        parameters.readsPasswordFile = true
        parameters.usesKeepalives = true
        let connection: PostgresConnection
        do {
            // A call's deadline bounds a reconnect made for it, too.
            connection = try PostgresConnection.connect(parameters, deadline: .within(milliseconds: timeoutMilliseconds))
        } catch {
            throw StoreError(
                .unavailable, "cannot open the registry store \(parameters): \(error.message)",
                detail: error.debugDescription)
        }
        do {
            // Every name resolves in the registry's schema; bytes come back
            // in hex whatever the server's default. A lock another daemon
            // holds is waited for at most 10 s, and a transaction left open
            // by a stalled daemon is ended after a minute, so one daemon can
            // never hold the others up for long.
            _ = try connection.query(
                """
                SELECT set_config('search_path', $1, false), set_config('bytea_output', 'hex', false),
                    set_config('client_encoding', 'UTF8', false), set_config('lock_timeout', '10s', false),
                    set_config('idle_in_transaction_session_timeout', '60s', false),
                    set_config('default_transaction_read_only', $2, false)
                """, [PostgresMigration.schemaName, readOnly ? "on" : "off"],
                deadline: .after(milliseconds: statementTimeoutMilliseconds))
        } catch {
            connection.close()
            throw StoreError(postgres: error)
        }
        return PostgresSession(connection: connection, statementTimeoutMilliseconds: statementTimeoutMilliseconds)
    }

    // MARK: - Running calls

    /// How a write transaction begins: writers lock what they compare (see
    /// the type's documentation).
    static let writeTransaction = "BEGIN ISOLATION LEVEL READ COMMITTED"

    /// Runs `body` in a READ COMMITTED transaction on a write session: all
    /// of it or none of it, and returns once that transaction is durably
    /// committed. Concurrent writes share one transaction and one COMMIT
    /// (``GroupCommitQueue``, as in SQLite), `body` in a savepoint of its
    /// own, so its failure undoes its changes only. `alone` (a large import,
    /// a sync) and dry runs (`commit` false) take a transaction of their
    /// own instead, so that they hold up no other writer's commit.
    /// The call's pending audit event (``CallAuditEvent``), if any, is
    /// appended with `body`'s changes unless `recordingCallEvent` is false
    /// (an event of its own). Under a work lease (``LeaseFence/current``)
    /// the changes are kept only while the lease is held.
    func write<Result: Sendable>(
        commit: Bool = true, recordingCallEvent: Bool = true, alone: Bool = false,
        _ body: (PostgresSession) throws -> Result
    ) throws(StoreError) -> Result {
        // Read on the calling task: the group's leader runs `body` on its
        // own thread, where the task-locals are the leader's.
        let call = commit && recordingCallEvent ? CallAuditEvent.current : nil
        // An audit event of its own is never fenced: it says what happened.
        let fence = recordingCallEvent ? LeaseFence.current : nil
        func work(_ session: PostgresSession) throws -> Result {
            let result = try body(session)
            // Last, so that the rows the body locked are held while the
            // lease is checked (see PostgresLeases).
            try fence?.check(in: session)
            if let event = call?.pendingEvent() { _ = try Self.insertAuditEvent(event, in: session) }
            return result
        }
        func inOwnTransaction() throws(StoreError) -> Result {
            try writers.withSession { session in try session.transaction(Self.writeTransaction, commit: commit, work) }
        }
        let result: Result
        if alone || !commit {
            result = try inOwnTransaction()
        } else {
            // A group holds every member's locks until it commits, so two
            // daemons' groups can deadlock where their writes alone would
            // not; PostgreSQL then fails one statement (its savepoint is
            // rolled back, nothing of the write stays) and the write is
            // made again in a transaction of its own.
            var deadlocked = false
            do {
                result = try groupCommits.perform(access: { group in try writers.withSession(group) }) { session in
                    do {
                        return try work(session)
                    } catch let error as PostgresError where error.sqlState == "40P01" {
                        deadlocked = true
                        throw error
                    }
                }
            } catch {
                guard deadlocked else { throw Self.storeError(error) }
                result = try inOwnTransaction()
            }
        }
        call?.markCommitted()
        return result
    }

    /// Commits and the writes they carried since the store opened: fewer
    /// commits than writes shows writes were committed together.
    package var groupCommitStatistics: GroupCommitStatistics { groupCommits.statistics }

    /// Batches of one-statement reads sent since the store opened, and the
    /// statements they carried.
    package var readBatchStatistics: ReadBatchStatistics { batcher.statistics }

    /// Runs `body` so that its queries see one committed snapshot and never
    /// wait for a write of this store. A body of one statement sends it in
    /// the next batch of one-statement reads (``PostgresReadBatcher``: one
    /// round trip for many calls; a statement is its own snapshot), and one
    /// of more statements runs again in a read-only REPEATABLE READ
    /// transaction on a read session (``PostgresSession/beginSingleStatementRead()``).
    func read<Result: Sendable>(_ body: (PostgresSession) throws -> Result) throws(StoreError) -> Result {
        let single = PostgresSession(batchingReadsThrough: batcher, statementTimeoutMilliseconds: statementTimeoutMilliseconds)
        single.beginSingleStatementRead()
        do {
            let result = try body(single)
            if !single.readNeedsTransaction { return result }
        } catch {
            guard single.readNeedsTransaction else { throw Self.storeError(error) }
        }
        return try readers.withSession { session in
            try session.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", body)
        }
    }

    static func storeError(_ error: any Error) -> StoreError {
        switch error {
        case let error as StoreError: error
        case let error as PostgresError: StoreError(postgres: error)
        default: StoreError(.io, "the registry store failed", detail: "\(error)")
        }
    }

    /// The current time, as the store will give it back.
    func now() -> (date: Date, microseconds: Int64) {
        let microseconds = StoreTime.microseconds(clock())
        return (StoreTime.date(microseconds), microseconds)
    }
}

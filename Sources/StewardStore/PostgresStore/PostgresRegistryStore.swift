import Dispatch
import Foundation
import StewardPostgres
import Synchronization

/// The registry in PostgreSQL (DESIGN §5, shared mode): several daemons on
/// several hosts serve one registry, and the database, not a daemon's
/// memory, enforces uniqueness and legal state changes.
///
/// Every object lives in the schema `steward_registry`; its version is
/// recorded in `schema_migrations` and upgraded at open under an advisory
/// lock. Secrets are sealed exactly as in SQLite (same ``SecretCipher``),
/// and a `meta` key check refuses a mismatched key before any change.
///
/// One libpq connection per store, behind a `Mutex` (like SQLite's): calls
/// block on the server, bounded by a statement deadline. A connection that
/// breaks fails its call as UNAVAILABLE and is replaced on the next call.
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
/// - identity mappings: the `effective_usernames` unique index, kept by
///   triggers that recompute under a transaction-scoped advisory lock;
/// - audit events: append-only, identity ids.
public final class PostgresRegistryStore: RegistryStore {
    public let backend = "postgresql"
    public let parameters: ConnectionParameters
    let cipher: SecretCipher
    let clock: @Sendable () -> Date
    let connectTimeoutMilliseconds: Int
    let statementTimeoutMilliseconds: Int

    private struct State: ~Copyable {
        var session: PostgresSession?
        var isClosed = false
        /// The last failed connect, so that the calls queued behind it fail
        /// at once instead of each waiting out its own connect timeout.
        var lastConnectFailure: (atNanoseconds: UInt64, error: StoreError)?
        /// Connects tried after opening, for tests.
        var reconnects = 0
    }

    /// How many times the store has tried to connect again since it opened.
    package var reconnectAttempts: Int { state.withLock { $0.reconnects } }

    /// How long a failed connect answers for the registry before the next
    /// call tries again.
    static let connectRetryNanoseconds: UInt64 = 2_000_000_000

    private let state: Mutex<State>

    /// Connects, checks that `key` is this registry's key, and creates or
    /// upgrades the schema.
    ///
    /// - Parameters:
    ///   - connectTimeoutMilliseconds: how long a connection attempt may take.
    ///   - statementTimeoutMilliseconds: how long one statement may run
    ///     before it is cancelled on the server and its call fails.
    public init(
        parameters: ConnectionParameters, key: StoreKey, clock: @escaping @Sendable () -> Date = { Date() },
        connectTimeoutMilliseconds: Int = 10_000, statementTimeoutMilliseconds: Int = 30_000
    ) throws(StoreError) {
        self.parameters = parameters
        self.cipher = SecretCipher(key: key)
        self.clock = clock
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        let session = try Self.connect(
            parameters, timeoutMilliseconds: connectTimeoutMilliseconds,
            statementTimeoutMilliseconds: statementTimeoutMilliseconds)
        do {
            try Self.prepareSchema(session, parameters: parameters, cipher: cipher)
        } catch {
            session.connection.close()
            throw Self.storeError(error)
        }
        self.state = Mutex(State(session: session))
    }

    /// Opens the store named by a `postgresql://` URL or a libpq
    /// keyword/value string (``ConnectionParameters/parse(_:)``).
    public convenience init(
        connectionString: String, key: StoreKey, clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(StoreError) {
        try self.init(parameters: try ConnectionParameters.parse(connectionString), key: key, clock: clock)
    }

    /// Closes the connection. Later calls fail as unavailable.
    public func close() {
        state.withLock { state in
            state.session?.connection.close()
            state.session = nil
            state.isClosed = true
        }
    }

    // MARK: - Connecting

    private static func connect(
        _ parameters: ConnectionParameters, timeoutMilliseconds: Int, statementTimeoutMilliseconds: Int
    ) throws(StoreError) -> PostgresSession {
        var parameters = parameters
        // The registry is the daemon's own database: its password may live in
        // ~/.pgpass, and a vanished peer must release its locks soon.
        parameters.readsPasswordFile = true
        parameters.usesKeepalives = true
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection.connect(parameters, deadline: .after(milliseconds: timeoutMilliseconds))
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
                    set_config('idle_in_transaction_session_timeout', '60s', false)
                """, [PostgresMigration.schemaName], deadline: .after(milliseconds: statementTimeoutMilliseconds))
        } catch {
            connection.close()
            throw StoreError(postgres: error)
        }
        return PostgresSession(connection: connection, statementTimeoutMilliseconds: statementTimeoutMilliseconds)
    }

    // MARK: - Running calls

    /// Runs `body` in one READ COMMITTED transaction: all of it or none of
    /// it. Writers lock what they compare (see the type's documentation).
    func write<Result: Sendable>(commit: Bool = true, _ body: (PostgresSession) throws -> Result) throws(StoreError) -> Result {
        try withSession { session in
            try session.transaction("BEGIN ISOLATION LEVEL READ COMMITTED", commit: commit, body)
        }
    }

    /// Runs `body` in one read-only REPEATABLE READ transaction, so its
    /// queries see one committed snapshot.
    func read<Result: Sendable>(_ body: (PostgresSession) throws -> Result) throws(StoreError) -> Result {
        try withSession { session in
            try session.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", body)
        }
    }

    /// Hands `body` a session on the store's connection, under its lock,
    /// connecting first if the last connection was lost. When the
    /// connection turns out broken before any statement completed (the
    /// server restarted since the last call), the call is retried once on
    /// a new connection: nothing of it ran. Every error leaves as a
    /// ``StoreError``.
    func withSession<Result: Sendable>(_ body: (PostgresSession) throws -> Result) throws(StoreError) -> Result {
        let outcome: Swift.Result<Result, StoreError> = state.withLock { state in
            guard !state.isClosed else {
                return .failure(StoreError(.unavailable, "the registry store is closed"))
            }
            var attempt = 0
            while true {
                attempt += 1
                let session: PostgresSession
                if let open = state.session {
                    session = open
                } else {
                    let now = DispatchTime.now().uptimeNanoseconds
                    if let failure = state.lastConnectFailure,
                        now - failure.atNanoseconds < Self.connectRetryNanoseconds
                    {
                        return .failure(failure.error)
                    }
                    state.reconnects += 1
                    do throws(StoreError) {
                        session = try Self.connect(
                            parameters, timeoutMilliseconds: connectTimeoutMilliseconds,
                            statementTimeoutMilliseconds: statementTimeoutMilliseconds)
                    } catch {
                        state.lastConnectFailure = (DispatchTime.now().uptimeNanoseconds, error)
                        return .failure(error)
                    }
                    state.lastConnectFailure = nil
                    state.session = session
                }
                session.beginCall()
                do {
                    return .success(try body(session))
                } catch {
                    guard session.isBroken else { return .failure(Self.storeError(error)) }
                    session.connection.close()
                    state.session = nil
                    if attempt == 1 && session.completedStatements == 0 { continue }
                    return .failure(Self.storeError(error))
                }
            }
        }
        return try outcome.get()
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

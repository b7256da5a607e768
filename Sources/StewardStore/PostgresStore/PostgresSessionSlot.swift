import Dispatch
import Synchronization

/// One of the store's registry sessions (one of its write sessions or read
/// sessions, ``SessionPool``), behind its own lock: one call at a time uses it.
///
/// A session found broken is dropped and the next call connects afresh;
/// a call whose connection broke before any statement completed is
/// retried once on a new connection (nothing of it ran); and a failed
/// connect answers for ``PostgresRegistryStore/connectRetryNanoseconds``,
/// so that the calls queued behind it fail at once instead of each waiting
/// out its own connect timeout.
final class SessionSlot: Sendable {
    private struct State: ~Copyable {
        var session: PostgresSession?
        var isClosed = false
        /// The last failed connect and when it failed.
        var lastConnectFailure: (atNanoseconds: UInt64, error: StoreError)?
        /// Connects tried after the slot was given its first session.
        var reconnects = 0
        /// Whether the slot has had a session (given at init or connected).
        var hasConnected = false
    }

    private let state: Mutex<State>
    /// Opens a new, configured session.
    private let connect: @Sendable () throws(StoreError) -> PostgresSession

    /// A slot holding `session` (nil: connected on first use), which
    /// `connect` replaces when it is lost.
    init(session: PostgresSession?, connect: @escaping @Sendable () throws(StoreError) -> PostgresSession) {
        self.state = Mutex(State(session: session, hasConnected: session != nil))
        self.connect = connect
    }

    /// How many times this slot has tried to connect again.
    var reconnectAttempts: Int { state.withLock { $0.reconnects } }

    /// Closes the session. Later calls fail as unavailable.
    func close() {
        state.withLock { state in
            state.session?.connection?.close()
            state.session = nil
            state.isClosed = true
        }
    }

    /// Hands `body` this slot's session under its lock, connecting first if
    /// the last session was lost, and retrying once on a new connection when
    /// the session turns out broken before any statement completed. Every
    /// error leaves as a ``StoreError``.
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
                    // The first session of a pool's later slots is made
                    // on first use and is not counted as a reconnect.
                    let isFirst = state.lastConnectFailure == nil && !state.hasConnected
                    if let failure = state.lastConnectFailure,
                        now - failure.atNanoseconds < PostgresRegistryStore.connectRetryNanoseconds
                    {
                        return .failure(failure.error)
                    }
                    if !isFirst { state.reconnects += 1 }
                    state.hasConnected = true
                    do throws(StoreError) {
                        session = try connect()
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
                    guard session.isBroken else { return .failure(PostgresRegistryStore.storeError(error)) }
                    session.connection?.close()
                    state.session = nil
                    if attempt == 1 && session.completedStatements == 0 { continue }
                    return .failure(PostgresRegistryStore.storeError(error))
                }
            }
        }
        return try outcome.get()
    }
}

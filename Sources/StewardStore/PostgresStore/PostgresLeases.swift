import Glibc
import StewardModel
import StewardPostgres
import Synchronization

/// Leases in a shared registry as PostgreSQL advisory locks held by a
/// session of their own, one per daemon (docs/shared-mode.md).
///
/// Why advisory locks rather than lease rows with an expiry: a daemon that
/// dies (`kill -9`, a crash, a host gone) has its session ended by the
/// server, which releases every lock it held at that moment, so another
/// daemon takes its connections at its next round, with no expiry to wait
/// out and no clock to trust. What a lock cannot give by itself is a
/// fence, so each write made under a work lease checks inside its own
/// transaction, just before it commits, that this lease session still
/// holds the lock (``LeaseFence``): a daemon whose lease session ended
/// while it was still scanning stores nothing, and the storing
/// transactions of one connection are serialised by its row lock, so a
/// store that passed its check commits before a later holder's can.
///
/// Locks are the two-key form `(class, object)`: the class says recheck
/// or work, the object is a 32-bit hash of the connection key (two keys
/// that collide share a lease, which costs parallelism, never safety).
final class PostgresLeases: ConnectionLeases {
    static let rechecksClass: Int32 = 0x5354_5752  // "STWR"
    static let workClass: Int32 = 0x5354_5757  // "STWW"
    /// How often a wait for another holder's work lease asks again.
    static let retryMilliseconds = 50

    private struct Session: ~Copyable {
        var connection: PostgresConnection?
        var pid: Int32 = 0
        var startMicroseconds: Int64 = 0
        var rechecks: Set<String> = []
        /// Work leases this daemon holds (a second task of the same daemon
        /// must wait too: advisory locks are re-entrant per session).
        var work: Set<String> = []
    }

    private let session = Mutex(Session())
    private let parameters: ConnectionParameters
    private let statementMilliseconds: Int

    init(parameters: ConnectionParameters, statementMilliseconds: Int) {
        var parameters = parameters
        parameters.readsPasswordFile = true
        parameters.usesKeepalives = true
        // Says in pg_stat_activity whose leases these are.
        parameters.applicationName = "stewardd leases \(getpid())"
        self.parameters = parameters
        self.statementMilliseconds = statementMilliseconds
    }

    func close() {
        session.withLock { state in
            state.connection?.close()
            state = Session()
        }
    }

    func holdsRechecks(of key: String) -> Bool {
        session.withLock { state in
            if state.rechecks.contains(key) { return true }
            guard (try? tryLock(Self.rechecksClass, key, in: &state)) == true else { return false }
            state.rechecks.insert(key)
            return true
        }
    }

    func releaseRechecks(except keys: Set<String>) {
        session.withLock { state in
            for key in state.rechecks.subtracting(keys) {
                state.rechecks.remove(key)
                unlock(Self.rechecksClass, key, in: &state)
            }
        }
    }

    func takeWork(on key: String, until deadline: Deadline) async throws(StoreError) -> WorkLease? {
        while true {
            let fence: LeaseFence? = try session.withLock { state throws(StoreError) in
                guard !state.work.contains(key) else { return nil }
                guard try tryLock(Self.workClass, key, in: &state) else { return nil }
                state.work.insert(key)
                return LeaseFence(
                    key: key, lockClass: Self.workClass, lockObject: Self.object(key), holderPID: state.pid,
                    holderStart: String(state.startMicroseconds))
            }
            if let fence { return WorkLease(key: key, fence: fence) }
            guard deadline.remainingMilliseconds > Self.retryMilliseconds else { return nil }
            do { try await Task.sleep(for: .milliseconds(Self.retryMilliseconds)) } catch { return nil }
        }
    }

    func release(_ lease: WorkLease) {
        session.withLock { state in
            state.work.remove(lease.key)
            // A lease lost with its session is gone already.
            guard let fence = lease.fence, fence.holderPID == state.pid else { return }
            unlock(Self.workClass, lease.key, in: &state)
        }
    }

    // MARK: - The lease session

    /// 32 bits of FNV-1a over the key's bytes.
    static func object(_ key: String) -> Int32 {
        var hash: UInt32 = 2_166_136_261
        for byte in key.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return Int32(bitPattern: hash)
    }

    private func tryLock(_ lockClass: Int32, _ key: String, in state: inout Session) throws(StoreError) -> Bool {
        let rows = try query(
            "SELECT pg_catalog.pg_try_advisory_lock($1::integer, $2::integer) AS taken",
            [String(lockClass), String(Self.object(key))], in: &state)
        return (try? rows.first?.bool("taken")) == true
    }

    private func unlock(_ lockClass: Int32, _ key: String, in state: inout Session) {
        _ = try? query(
            "SELECT pg_catalog.pg_advisory_unlock($1::integer, $2::integer)",
            [String(lockClass), String(Self.object(key))], in: &state)
    }

    /// Runs one statement on the lease session, connecting first when there
    /// is none. A session that fails is closed, and with it go every lock
    /// it held: the sets are emptied to say so.
    private func query(_ sql: String, _ values: [String?], in state: inout Session) throws(StoreError) -> [PostgresRow] {
        // A session found dead had lost its locks already: the statement is
        // tried once more on a new one.
        let reused = state.connection != nil
        do throws(StoreError) {
            return try queryOnce(sql, values, in: &state)
        } catch where reused && state.connection == nil {
            return try queryOnce(sql, values, in: &state)
        }
    }

    private func queryOnce(_ sql: String, _ values: [String?], in state: inout Session) throws(StoreError) -> [PostgresRow] {
        do throws(PostgresError) {
            if state.connection == nil {
                let connection = try PostgresConnection.connect(parameters, deadline: .within(milliseconds: statementMilliseconds))
                let me = try connection.query(
                    """
                    SELECT a.pid, (extract(epoch FROM a.backend_start) * 1000000)::bigint AS started
                    FROM pg_catalog.pg_stat_activity AS a WHERE a.pid = pg_catalog.pg_backend_pid()
                    """, deadline: .within(milliseconds: statementMilliseconds))
                guard let row = me.rows.first else {
                    connection.close()
                    throw PostgresError(kind: .decoding, message: "the registry did not say which session holds the leases")
                }
                let pid = try row.int("pid")
                let started = try row.int("started")
                state.connection = connection
                state.pid = Int32(truncatingIfNeeded: pid)
                state.startMicroseconds = Int64(started)
            }
            return try state.connection!.query(sql, values, deadline: .within(milliseconds: statementMilliseconds)).rows
        } catch {
            state.connection?.close()
            state = Session()
            throw StoreError(postgres: error)
        }
    }
}

extension LeaseFence {
    /// Whether the lease is still held, asked inside the storing
    /// transaction: the lock in `pg_locks`, held by the very session (pid
    /// and start time) that took it.
    func check(in session: PostgresSession) throws {
        let held = try session.queryFirst(
            """
            SELECT 1 AS held FROM pg_catalog.pg_locks AS l
            JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                AND l.database = (SELECT d.oid FROM pg_catalog.pg_database AS d WHERE d.datname = pg_catalog.current_database())
                AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.pid = $3::integer
                AND (extract(epoch FROM a.backend_start) * 1000000)::bigint = $4::bigint
            """, Int64(UInt32(bitPattern: lockClass)), Int64(UInt32(bitPattern: lockObject)), holderPID, holderStart)
        guard held != nil else {
            throw StoreError(
                .revisionConflict,
                "this daemon no longer holds the lease of connection \"\(key)\" (another daemon may have taken it over); nothing was stored")
        }
    }
}

extension PostgresRegistryStore: LeasingStore {
    public var connectionLeases: any ConnectionLeases { leaseSession }
}

import Dispatch
import Glibc
import Logging
import StewardCore
import StewardStore
import StewardWire
import Synchronization

/// What every connection of one daemon shares: configuration, routes,
/// statistics, health, and the bookkeeping that graceful shutdown needs.
final class ServerRuntime: Sendable {
    let configuration: ServerConfiguration
    let router: Router
    let logger: Logger
    let admission: CallAdmission
    let statistics: ServerStatistics
    let health = HealthStatusBoard()
    /// Returns the heap to the system after bursts of connections.
    let heapTrimmer = HeapTrimmer()
    let startedAt = DispatchTime.now()
    /// The serial queues every connection's I/O queue targets: see
    /// ``ioLane(for:)``.
    private let ioLanes: [IOLane]

    private struct State {
        var connections: [UInt64: ServerConnection] = [:]
        /// Per uid: open connections and server-streaming calls in flight.
        var uidUsage = UIDUsage()
        var nextConnectionID: UInt64 = 1
        /// Shutdown waiting for the last call in flight to end.
        var callWaiters = TimedWaiters()
        /// Shutdown waiting for the last connection to close.
        var connectionWaiters = TimedWaiters()
    }
    private let state = Mutex(State())
    /// Kept apart from `state`: every call counts itself in and out, and
    /// one lock shared by every connection's calls would be contended.
    /// Only the last call out takes the lock, to wake a draining shutdown.
    private let inFlight = Atomic<Int>(0)
    /// Whether shutdown has begun: an atomic, since every call asks. Set
    /// under `state`'s lock and read there by `admitConnection`, so no
    /// connection is admitted after the drain began; set before shutdown
    /// waits for calls to end, so a call that reads false started before
    /// the waiting began.
    private let draining = Atomic<Bool>(false)

    /// The services with routes, by full name (`steward.v1.Server`).
    private let serviceNames: Set<String>

    init(configuration: ServerConfiguration, router: Router, admission: CallAdmission, logger: Logger) {
        self.configuration = configuration
        statistics = ServerStatistics(metrics: configuration.metrics)
        self.router = router
        self.admission = admission
        self.logger = logger
        self.ioLanes = Self.laneReactors.enumerated().map { index, reactor in
            IOLane(queue: DispatchQueue(label: "steward.io-lane.\(index)"), reactor: reactor)
        }
        // "/steward.v1.Server/Info" → "steward.v1.Server"; computed once,
        // since Health.Check asks on every call.
        self.serviceNames = Set(router.methodPaths.compactMap { $0.split(separator: "/").first.map(String.init) })
    }

    /// As many lanes as the embedded registry has read connections, so the
    /// lanes' inline reads alone cannot use them all up. Measured with 500 connections
    /// on two cores (`steward-bench load`, mixed run, p99): 8 lanes 12–19 ms;
    /// 4 lanes 22–48 ms; 16 lanes 68 ms (reads waited for a connection);
    /// a queue of its own for each connection 110 ms to seconds.
    static let ioLaneCount = SQLiteRegistryStore.readConnections

    /// A connection's lane: the queue its I/O queue targets, and the
    /// reactor that runs its socket events on that queue.
    struct IOLane {
        let queue: DispatchQueue
        let reactor: SocketReactor
    }

    /// One reactor for each lane, delivering inline: a frame is read,
    /// answered (when its call is prompt) and written on the thread that
    /// saw the socket readable, with no second thread woken per call. Per
    /// lane, so that a lane whose queue is busy (a task's answer being
    /// written) holds up only its own connections. For the process's
    /// lifetime, like their threads, and shared by every server in it.
    private static let laneReactors = (0..<ioLaneCount).map { _ in SocketReactor(delivery: .inline) }

    /// The lane connection `id`'s I/O queue runs on. A connection's work
    /// there never waits (reads, decoding, writes to a non-blocking socket,
    /// prompt registry reads), so a few threads are enough for every
    /// connection; and one thread that finds work of several connections
    /// queued runs it in turn, instead of a thread being woken for each.
    /// Given a queue of its own on the shared pool, each connection's
    /// work took a thread of its own: with 500 connections, hundreds of
    /// threads on two cores, preempting each other with a read connection
    /// of the registry held.
    func ioLane(for id: UInt64) -> IOLane {
        ioLanes[Int(id % UInt64(ioLanes.count))]
    }

    var uptimeMilliseconds: UInt64 {
        (DispatchTime.now().uptimeNanoseconds - startedAt.uptimeNanoseconds) / 1_000_000
    }

    /// Whether `name` is "" (the server as a whole) or a service with routes.
    func servesService(named name: String) -> Bool {
        name.isEmpty || serviceNames.contains(name)
    }

    var isDraining: Bool { draining.load(ordering: .acquiring) }
    var openConnectionCount: Int { state.withLock { $0.connections.count } }
    var callsInFlight: Int { inFlight.load(ordering: .sequentiallyConsistent) }
    /// Server.Metrics' answer: the Prometheus text, gauges read now.
    var metricsText: String {
        statistics.metrics.text(
            openConnections: openConnectionCount, callsInFlight: callsInFlight, sources: configuration.gaugeSources)
    }

    /// Administrators known without asking the store, so the per-uid caps
    /// spare them and reserved slots wait for them.
    var administrators: AdministratorRule { admission.callers.administrators }

    /// Registers a new connection from `uid` unless the daemon is draining,
    /// full (for this uid), or the uid holds its share; returns the
    /// connection, or the reason to refuse it.
    func admitConnection(uid: UInt32, _ make: (UInt64) -> ServerConnection) -> Result<ServerConnection, RPCError> {
        state.withLock { state in
            guard !isDraining else { return .failure(RPCError(.unavailable, "the server is shutting down")) }
            let limits = configuration.limits
            let isAdministrator = administrators.covers(uid)
            // Callers not known stop short of the slots kept for known ones.
            // (At most half are kept, so a small limit still serves everyone.)
            let isKnown = isAdministrator || admission.recentlyKnown.contains(uid)
            let reserved = min(limits.reservedKnownCallerConnections, limits.maxConnections / 2)
            let room = isKnown ? limits.maxConnections : limits.maxConnections - reserved
            guard state.connections.count < room else {
                return .failure(RPCError(.resourceExhausted, "the server is at its limit of \(limits.maxConnections) connections"))
            }
            guard isAdministrator || state.uidUsage.connections[uid, default: 0] < limits.maxConnectionsPerUID else {
                return .failure(RPCError(
                    .resourceExhausted, "uid \(uid) holds \(limits.maxConnectionsPerUID) connections, the most one uid may open"))
            }
            let id = state.nextConnectionID
            state.nextConnectionID += 1
            let connection = make(id)
            state.connections[id] = connection
            state.uidUsage.connections[uid, default: 0] += 1
            return .success(connection)
        }
    }

    /// Takes one of `uid`'s server-streaming slots, or says why not; every
    /// success is paired with ``streamEnded(uid:)``.
    func streamStarting(uid: UInt32) -> RPCError? {
        let limit = configuration.limits.maxStreamsPerUID
        if administrators.covers(uid) { return nil }
        return state.withLock { state in
            guard state.uidUsage.streams[uid, default: 0] < limit else {
                return RPCError(.resourceExhausted, "uid \(uid) has \(limit) streams open, the most one uid may hold")
            }
            state.uidUsage.streams[uid, default: 0] += 1
            return nil
        }
    }

    func streamEnded(uid: UInt32) {
        if administrators.covers(uid) { return }
        state.withLock { $0.uidUsage.streams.decrement(uid) }
    }

    func connectionClosed(id: UInt64) {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            if let closed = state.connections.removeValue(forKey: id) {
                state.uidUsage.connections.decrement(closed.peer.uid)
            }
            return state.connections.isEmpty ? state.connectionWaiters.takeAll() : []
        }
        waiters.forEach { $0.resume(returning: true) }
        heapTrimmer.connectionClosed()
    }

    /// Returns true once every connection has closed (its last answers
    /// written), or false when `milliseconds` pass first.
    func waitForConnectionsToClose(withinMilliseconds milliseconds: Int) async -> Bool {
        await wait(withinMilliseconds: milliseconds, until: { $0.connections.isEmpty }, on: \.connectionWaiters)
    }

    var allConnections: [ServerConnection] { state.withLock { Array($0.connections.values) } }

    func callStarted() {
        inFlight.add(1, ordering: .sequentiallyConsistent)
    }

    func callEnded() {
        // A waiter checks the count under the lock after registering, so a
        // count that reaches zero before the lock is taken here is seen
        // there, and one that reaches zero after finds the waiter here.
        guard inFlight.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 else { return }
        let waiters = state.withLock { $0.callWaiters.takeAll() }
        waiters.forEach { $0.resume(returning: true) }
    }

    /// Refuses new calls and connections from now on.
    func beginDraining() {
        state.withLock { _ in draining.store(true, ordering: .releasing) }
        health.setShuttingDown()
    }

    /// Returns true when no call is in flight any more, or false when
    /// `milliseconds` pass first.
    func waitForCallsToFinish(withinMilliseconds milliseconds: Int) async -> Bool {
        await wait(withinMilliseconds: milliseconds, until: { _ in self.callsInFlight == 0 }, on: \.callWaiters)
    }

    /// Waits until `isDone` holds (whoever makes it hold resumes `waiters`
    /// with true) or the time runs out (false).
    private func wait(
        withinMilliseconds milliseconds: Int, until isDone: (State) -> Bool,
        on waiters: WritableKeyPath<State, TimedWaiters> & Sendable
    ) async -> Bool {
        await withCheckedContinuation { continuation in
            let waiterID = state.withLock { state -> UInt64? in
                isDone(state) ? nil : state[keyPath: waiters].add(continuation)
            }
            guard let waiterID else {
                continuation.resume(returning: true)
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                let expired = self.state.withLock { $0[keyPath: waiters].remove(waiterID) }
                expired?.resume(returning: false)
            }
        }
    }
}

/// What each uid holds, for the per-uid caps; a uid holding nothing has no
/// entry, so the tables stay as small as the set of uids connected.
struct UIDUsage {
    var connections: [UInt32: Int] = [:]
    var streams: [UInt32: Int] = [:]
}

extension Dictionary where Value == Int {
    mutating func decrement(_ key: Key) {
        guard let count = self[key] else { return }
        self[key] = count > 1 ? count - 1 : nil
    }
}

/// Continuations waiting for a condition, each resumed exactly once: by
/// whoever takes them all when the condition holds, or by its own timer.
struct TimedWaiters {
    private var waiting: [UInt64: CheckedContinuation<Bool, Never>] = [:]
    private var nextID: UInt64 = 0

    mutating func add(_ continuation: CheckedContinuation<Bool, Never>) -> UInt64 {
        nextID += 1
        waiting[nextID] = continuation
        return nextID
    }

    mutating func remove(_ id: UInt64) -> CheckedContinuation<Bool, Never>? {
        waiting.removeValue(forKey: id)
    }

    mutating func takeAll() -> [CheckedContinuation<Bool, Never>] {
        defer { waiting = [:] }
        return Array(waiting.values)
    }
}

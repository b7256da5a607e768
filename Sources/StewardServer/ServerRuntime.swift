import Dispatch
import Logging
import StewardWire
import Synchronization

/// What every connection of one daemon shares: configuration, routes,
/// statistics, health, and the bookkeeping that graceful shutdown needs.
final class ServerRuntime: Sendable {
    let configuration: ServerConfiguration
    let router: Router
    let logger: Logger
    let callers: any CallerDirectory
    let statistics = ServerStatistics()
    let health = HealthStatusBoard()
    let startedAt = DispatchTime.now()

    private struct State {
        var isDraining = false
        var connections: [UInt64: ServerConnection] = [:]
        var nextConnectionID: UInt64 = 1
        var callsInFlight = 0
        var drainWaiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        var nextDrainWaiterID: UInt64 = 0
        var closeWaiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
    }
    private let state = Mutex(State())

    init(configuration: ServerConfiguration, router: Router, callers: any CallerDirectory, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.callers = callers
        self.logger = logger
    }

    var uptimeMilliseconds: UInt64 {
        (DispatchTime.now().uptimeNanoseconds - startedAt.uptimeNanoseconds) / 1_000_000
    }

    /// Whether `name` is "" (the server as a whole) or a service with routes.
    func servesService(named name: String) -> Bool {
        name.isEmpty || router.methodPaths.contains { $0.hasPrefix("/\(name)/") }
    }

    var isDraining: Bool { state.withLock { $0.isDraining } }
    var openConnectionCount: Int { state.withLock { $0.connections.count } }
    var callsInFlight: Int { state.withLock { $0.callsInFlight } }

    /// Registers a new connection unless the daemon is full or draining;
    /// returns its id, or nil to refuse it.
    func admitConnection(_ make: (UInt64) -> ServerConnection) -> ServerConnection? {
        state.withLock { state in
            guard !state.isDraining,
                state.connections.count < configuration.limits.maxConnections
            else { return nil }
            let id = state.nextConnectionID
            state.nextConnectionID += 1
            let connection = make(id)
            state.connections[id] = connection
            return connection
        }
    }

    func connectionClosed(id: UInt64) {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.connections.removeValue(forKey: id)
            guard state.connections.isEmpty else { return [] }
            defer { state.closeWaiters = [:] }
            return Array(state.closeWaiters.values)
        }
        waiters.forEach { $0.resume(returning: true) }
    }

    /// Returns true once every connection has closed (its last answers
    /// written), or false when `milliseconds` pass first.
    func waitForConnectionsToClose(withinMilliseconds milliseconds: Int) async -> Bool {
        await withCheckedContinuation { continuation in
            let waiterID = state.withLock { state -> UInt64? in
                if state.connections.isEmpty { return nil }
                state.nextDrainWaiterID += 1
                state.closeWaiters[state.nextDrainWaiterID] = continuation
                return state.nextDrainWaiterID
            }
            guard let waiterID else {
                continuation.resume(returning: true)
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                let expired = self.state.withLock { $0.closeWaiters.removeValue(forKey: waiterID) }
                expired?.resume(returning: false)
            }
        }
    }

    var allConnections: [ServerConnection] { state.withLock { Array($0.connections.values) } }

    func callStarted() {
        state.withLock { $0.callsInFlight += 1 }
    }

    func callEnded() {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.callsInFlight -= 1
            guard state.callsInFlight == 0 else { return [] }
            defer { state.drainWaiters = [:] }
            return Array(state.drainWaiters.values)
        }
        waiters.forEach { $0.resume(returning: true) }
    }

    /// Refuses new calls and connections from now on.
    func beginDraining() {
        state.withLock { $0.isDraining = true }
        health.setShuttingDown()
    }

    /// Returns true when no call is in flight any more, or false when
    /// `milliseconds` pass first.
    func waitForCallsToFinish(withinMilliseconds milliseconds: Int) async -> Bool {
        await withCheckedContinuation { continuation in
            let waiterID = state.withLock { state -> UInt64? in
                if state.callsInFlight == 0 { return nil }
                state.nextDrainWaiterID += 1
                state.drainWaiters[state.nextDrainWaiterID] = continuation
                return state.nextDrainWaiterID
            }
            guard let waiterID else {
                continuation.resume(returning: true)
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                let expired = self.state.withLock { $0.drainWaiters.removeValue(forKey: waiterID) }
                expired?.resume(returning: false)
            }
        }
    }
}

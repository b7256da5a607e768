import StewardWire
import Synchronization

/// The serving status Health reports, and the watchers waiting for it to change.
///
/// The server as a whole (service "") and every service it routes share the
/// overall status. A dependency the daemon watches (the shared registry,
/// ``DependencyWatch``) is a service name of its own whose status follows
/// the dependency, so that health tooling can tell "the daemon is up but
/// its registry is not answering" from "the daemon is down".
final class HealthStatusBoard: Sendable {
    typealias ServingStatus = GrpcHealthV1.HealthCheckResponse.ServingStatus

    private struct Watcher {
        let service: String
        let continuation: AsyncStream<ServingStatus>.Continuation
    }

    private struct State {
        var overall: ServingStatus = .serving
        var isShuttingDown = false
        var dependencies: [String: ServingStatus] = [:]
        var watchers: [UInt64: Watcher] = [:]
        var nextWatcherID: UInt64 = 0

        func status(of service: String) -> ServingStatus {
            if isShuttingDown { return .notServing }
            return dependencies[service] ?? overall
        }
    }
    private let state = Mutex(State())

    /// The status of the server as a whole; every routed service shares it.
    var overall: ServingStatus { state.withLock { $0.overall } }

    /// The status of `service`: a watched dependency's own, else the overall one.
    func status(of service: String) -> ServingStatus { state.withLock { $0.status(of: service) } }

    /// Whether `service` names a watched dependency.
    func isDependency(_ service: String) -> Bool { state.withLock { $0.dependencies[service] != nil } }

    /// A stream of `service`'s status: the current one first, then each change.
    func watch(service: String = "") -> AsyncStream<ServingStatus> {
        AsyncStream { continuation in
            let id = state.withLock { state -> UInt64 in
                state.nextWatcherID += 1
                state.watchers[state.nextWatcherID] = Watcher(service: service, continuation: continuation)
                continuation.yield(state.status(of: service))
                return state.nextWatcherID
            }
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) }
            }
        }
    }

    /// Sets a watched dependency's status and tells its watchers of a change.
    func setDependency(_ service: String, serving: Bool) {
        let status: ServingStatus = serving ? .serving : .notServing
        let told = state.withLock { state -> [AsyncStream<ServingStatus>.Continuation] in
            guard !state.isShuttingDown, state.dependencies[service] != status else { return [] }
            state.dependencies[service] = status
            return state.watchers.values.filter { $0.service == service }.map(\.continuation)
        }
        for watcher in told { watcher.yield(status) }
    }

    /// Reports NOT_SERVING to everyone, then ends every watch.
    func setShuttingDown() {
        let watchers = state.withLock { state -> [AsyncStream<ServingStatus>.Continuation] in
            state.overall = .notServing
            state.isShuttingDown = true
            defer { state.watchers = [:] }
            return state.watchers.values.map(\.continuation)
        }
        for watcher in watchers {
            watcher.yield(.notServing)
            watcher.finish()
        }
    }
}

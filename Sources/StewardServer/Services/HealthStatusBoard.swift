import StewardWire
import Synchronization

/// The serving status Health reports, and the watchers waiting for it to change.
final class HealthStatusBoard: Sendable {
    typealias ServingStatus = GrpcHealthV1.HealthCheckResponse.ServingStatus

    private struct State {
        var overall: ServingStatus = .serving
        var watchers: [UInt64: AsyncStream<ServingStatus>.Continuation] = [:]
        var nextWatcherID: UInt64 = 0
    }
    private let state = Mutex(State())

    /// The status of the server as a whole; every service shares it.
    var overall: ServingStatus { state.withLock { $0.overall } }

    /// A stream of the overall status: the current one first, then each change.
    func watch() -> AsyncStream<ServingStatus> {
        AsyncStream { continuation in
            let id = state.withLock { state -> UInt64 in
                state.nextWatcherID += 1
                state.watchers[state.nextWatcherID] = continuation
                continuation.yield(state.overall)
                return state.nextWatcherID
            }
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) }
            }
        }
    }

    /// Reports NOT_SERVING to everyone, then ends every watch.
    func setShuttingDown() {
        let watchers = state.withLock { state -> [AsyncStream<ServingStatus>.Continuation] in
            state.overall = .notServing
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in watchers {
            watcher.yield(.notServing)
            watcher.finish()
        }
    }
}

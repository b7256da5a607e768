import CoreMetrics
import Dispatch
import StewardWire
import Synchronization

/// Calls by method and status, with latency percentiles, for Server.Stats.
final class ServerStatistics: Sendable {
    struct MethodSummary: Sendable {
        var calls: UInt64 = 0
        var statusCounts: [StatusCode: UInt64] = [:]
        var latency = LatencyHistogram()
        /// The method's Prometheus metrics, made on its first call.
        var timer: CoreMetrics.Timer
        var counters: [StatusCode: CoreMetrics.Counter] = [:]
    }

    private struct State {
        var methods: [String: MethodSummary] = [:]
        /// Calls answered before they reached a handler (unknown method,
        /// limits, shutdown), by status.
        var refusals: [StatusCode: UInt64] = [:]
        var acceptedConnections: UInt64 = 0
        var refusedConnections: UInt64 = 0
    }
    private let state = Mutex(State())
    /// The same calls and connections, as Prometheus metrics.
    let metrics: ServerMetrics

    init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    func record(method: String, code: StatusCode, startedAt: UInt64) {
        let nanoseconds = DispatchTime.now().uptimeNanoseconds &- startedAt
        let elapsed = nanoseconds / 1000
        // One lock and one lookup per call; the metrics are recorded
        // outside it (they have locks of their own).
        let (timer, counter) = state.withLock { state in
            var summary = state.methods.removeValue(forKey: method) ?? MethodSummary(timer: metrics.callTimer(method: method))
            summary.calls += 1
            summary.statusCounts[code, default: 0] += 1
            summary.latency.record(microseconds: elapsed)
            let counter = summary.counters[code] ?? metrics.callCounter(method: method, code: code)
            summary.counters[code] = counter
            state.methods[method] = summary
            return (summary.timer, counter)
        }
        counter.increment()
        timer.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    func recordRefusal(code: StatusCode) {
        state.withLock { $0.refusals[code, default: 0] += 1 }
    }

    func recordConnection(accepted: Bool) {
        metrics.recordConnection(accepted: accepted)
        state.withLock { state in
            if accepted { state.acceptedConnections += 1 } else { state.refusedConnections += 1 }
        }
    }

    var acceptedConnections: UInt64 { state.withLock { $0.acceptedConnections } }
    var refusedConnections: UInt64 { state.withLock { $0.refusedConnections } }

    /// Per-method figures, sorted by method path.
    var methodStats: [StewardV1.MethodStats] {
        state.withLock { state in
            state.methods.sorted { $0.key < $1.key }.map { method, summary in
                var stats = StewardV1.MethodStats()
                stats.method = method
                stats.calls = summary.calls
                stats.statuses = summary.statusCounts.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                    var count = StewardV1.StatusCount()
                    count.code = $0.key.rawValue
                    count.count = $0.value
                    return count
                }
                stats.latencyP50Us = summary.latency.percentile(0.50)
                stats.latencyP90Us = summary.latency.percentile(0.90)
                stats.latencyP99Us = summary.latency.percentile(0.99)
                stats.latencyMaxUs = summary.latency.maximum
                return stats
            }
        }
    }
}

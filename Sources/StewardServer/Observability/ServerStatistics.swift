import CoreMetrics
import Dispatch
import StewardWire
import StewardStore

/// Calls by method and status, with latency percentiles, for Server.Stats.
///
/// Every call ends here, from every connection's queue at once, so nothing
/// every call takes is one lock: the methods' table is read-mostly (a
/// method is added once), and each method keeps its figures behind a lock
/// of its own.
final class ServerStatistics: Sendable {
    struct MethodSummary: Sendable {
        var calls: UInt64 = 0
        var statusCounts: [StatusCode: UInt64] = [:]
        var latency = LatencyHistogram()
        var counters: [StatusCode: CoreMetrics.Counter] = [:]
    }

    /// One method's figures and its Prometheus timer (made on its first call).
    private final class MethodRecord: Sendable {
        let timer: CoreMetrics.Timer
        let summary = BargingLock(MethodSummary())
        init(timer: CoreMetrics.Timer) { self.timer = timer }
    }

    private struct State {
        /// Calls answered before they reached a handler (unknown method,
        /// limits, shutdown), by status.
        var refusals: [StatusCode: UInt64] = [:]
        var acceptedConnections: UInt64 = 0
        var refusedConnections: UInt64 = 0
    }
    private let methods = ReadWriteLock([String: MethodRecord]())
    private let state = BargingLock(State())
    /// The same calls and connections, as Prometheus metrics.
    let metrics: ServerMetrics

    init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    func record(method: String, code: StatusCode, startedAt: UInt64) {
        let nanoseconds = DispatchTime.now().uptimeNanoseconds &- startedAt
        let elapsed = nanoseconds / 1000
        let record = self.record(for: method)
        // The metrics are recorded outside the lock (they have locks of their own).
        let counter = record.summary.withLock { summary in
            summary.calls += 1
            summary.statusCounts[code, default: 0] += 1
            summary.latency.record(microseconds: elapsed)
            if let counter = summary.counters[code] { return counter }
            let counter = metrics.callCounter(method: method, code: code)
            summary.counters[code] = counter
            return counter
        }
        counter.increment()
        record.timer.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    private func record(for method: String) -> MethodRecord {
        if let record = methods.read({ $0[method] }) { return record }
        return methods.write { methods in
            if let record = methods[method] { return record }
            let record = MethodRecord(timer: metrics.callTimer(method: method))
            methods[method] = record
            return record
        }
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
        let records = methods.read { $0 }
        return records.sorted { $0.key < $1.key }.map { method, record in
            let summary = record.summary.withLock { $0 }
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

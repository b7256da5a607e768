import CoreMetrics
import Dispatch
import Prometheus
import StewardWire

/// One gauge's value, read when the metrics are (``ServerConfiguration/gaugeSources``).
public struct GaugeReading: Sendable {
    public var label: String
    public var dimensions: [(String, String)]
    public var value: Double

    public init(label: String, dimensions: [(String, String)], value: Double) {
        self.label = label
        self.dimensions = dimensions
        self.value = value
    }
}

/// Gauges a server's owner adds (the registry's connections by state).
public typealias GaugeSource = @Sendable () -> [GaugeReading]

/// The daemon's metrics through swift-metrics, kept by swift-prometheus and
/// read as Prometheus text (Server.Metrics, the textfile collector).
///
/// Each server has its own registry, handed to swift-metrics as the factory
/// of every metric it makes, instead of the process-wide bootstrap: several
/// servers in one process (tests, the benchmark) keep separate figures.
/// One per server, in ``ServerConfiguration/metrics``, so that the
/// background work its owner starts (rechecks, enforcement) counts there too.
public final class ServerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let acceptedConnections: CoreMetrics.Counter
    private let refusedConnections: CoreMetrics.Counter
    private let openConnections: CoreMetrics.Gauge
    private let callsInFlight: CoreMetrics.Gauge

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        // From a fast answer from memory (~50 µs) to a validation of a large database.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
            .seconds(60), .seconds(120),
        ]
        self.factory = factory
        acceptedConnections = CoreMetrics.Counter(label: "steward_connections_accepted_total", factory: factory)
        refusedConnections = CoreMetrics.Counter(label: "steward_connections_refused_total", factory: factory)
        openConnections = CoreMetrics.Gauge(label: "steward_connections_open", factory: factory)
        callsInFlight = CoreMetrics.Gauge(label: "steward_calls_in_flight", factory: factory)
    }

    /// The counter of answered calls of `method` with `code`. Made once per
    /// method and status and kept by the caller (``ServerStatistics``):
    /// making it looks it up in the registry under its lock, which every
    /// call would otherwise pay.
    func callCounter(method: String, code: StatusCode) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "steward_calls_total", dimensions: [("method", method), ("code", code.name)], factory: factory)
    }

    /// The latency histogram of `method`; kept by the caller, as the counter.
    func callTimer(method: String) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: "steward_call_duration_seconds", dimensions: [("method", method)], factory: factory)
    }

    /// A Validate call that finished: `outcome` is its report's (PASSED,
    /// WARNING, FAILED), or `error` when it made none.
    func recordValidation(outcome: String) {
        CoreMetrics.Counter(label: "steward_validations_total", dimensions: [("outcome", outcome)], factory: factory)
            .increment()
    }

    /// A background recheck that finished: the state it left the connection
    /// in (ACTIVE, UNHEALTHY), or `error` when it could not run.
    func recordRecheck(state: String) {
        CoreMetrics.Counter(label: "steward_rechecks_total", dimensions: [("state", state)], factory: factory)
            .increment()
    }

    /// A background enforcement run on one connection: `changed`,
    /// `unchanged`, or `error`, and how long it took.
    func recordEnforcement(outcome: String, duration: Duration) {
        CoreMetrics.Counter(label: "steward_enforcement_runs_total", dimensions: [("outcome", outcome)], factory: factory)
            .increment()
        CoreMetrics.Timer(label: "steward_enforcement_duration_seconds", dimensions: [("outcome", outcome)], factory: factory)
            .recordNanoseconds(Self.nanoseconds(duration))
    }

    /// A Sync call that ended: `ok` or `error`, and how long it took.
    func recordSync(outcome: String, duration: Duration) {
        CoreMetrics.Timer(label: "steward_sync_duration_seconds", dimensions: [("outcome", outcome)], factory: factory)
            .recordNanoseconds(Self.nanoseconds(duration))
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        Int64(clamping: duration.components.seconds &* 1_000_000_000 &+ duration.components.attoseconds / 1_000_000_000)
    }

    func recordConnection(accepted: Bool) {
        (accepted ? acceptedConnections : refusedConnections).increment()
    }

    /// The exposition text, with the gauges read now.
    func text(openConnections open: Int, callsInFlight inFlight: Int, sources: [GaugeSource]) -> String {
        openConnections.record(open)
        callsInFlight.record(inFlight)
        for reading in sources.flatMap({ $0() }) {
            CoreMetrics.Gauge(label: reading.label, dimensions: reading.dimensions, factory: factory).record(reading.value)
        }
        return registry.emitToString()
    }
}

import Foundation
import Logging
import StewardClient
import StewardModel
import StewardPostgres
import StewardServer
import StewardStore
import StewardTestSupport
import StewardWire
import Testing

/// The daemon's rechecks, counted by the state they leave a connection in,
/// in the metrics of the server they run beside (one round, run directly).
@Suite("Recheck metrics", .timeLimit(.minutes(2)))
struct RecheckMetricsTests {
    @Test func recheckOfAnUnreachableConnectionCountsUnhealthy() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = try StateDirectory.open(at: directory + "/state")
        defer { state.close() }
        var settings = ConnectionWalk.settings(key: "recheck-a", governed: ["sales"])
        // Nothing listens on port 1 of the loopback: the login is refused at once.
        settings.host = "127.0.0.1"
        settings.port = 1
        try state.store.createConnection(
            key: "recheck-a", settings: settings, password: Secret("pw"), createdBy: 0, walkedTo: .active)
        var logger = Logger(label: "recheck-metrics")
        logger.logLevel = .critical
        let configuration = ServerConfiguration(socketPath: directory + "/steward.sock")
        let executor = PostgresExecutor(maxConcurrentJobs: 1)
        let server = RegistryServer.make(configuration: configuration, store: state.store, executor: executor, logger: logger)
        try server.start()
        let schedule = RegistryServer.recheckSchedule(
            store: state.store, executor: executor, interval: .seconds(3600), metrics: configuration.metrics, logger: logger)
        let results = await schedule.runOnce()
        #expect(results.map(\.key) == ["recheck-a"])

        let client = try StewardClient.connect(socketPath: server.socketPath)
        let text = try await client.call(StewardV1.Server.metrics, .init()).text
        client.close()
        await server.shutDown()
        #expect(text.contains(#"steward_rechecks_total{state="UNHEALTHY"} 1"#), "\(text)")
    }
}

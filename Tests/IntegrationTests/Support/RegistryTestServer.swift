import Foundation
import Logging
import StewardCore
import StewardPostgres
import StewardServer
import StewardStore

/// The daemon's services over a fresh SQLite store, in this process on a real
/// socket, with the limits and caller directory a test chooses.
func withRegistryServer(
    limits: ServerLimits, callers: any CallerDirectory,
    _ body: (_ socketPath: String, _ store: any RegistryStore, _ permissions: [String: MethodPermissions.Rule]) async throws -> Void
) async throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let state = try StateDirectory.open(at: directory + "/state")
    defer { state.close() }
    var logger = Logger(label: "registry-test-server")
    logger.logLevel = .critical
    var configuration = ServerConfiguration(socketPath: directory + "/steward.sock")
    configuration.limits = limits
    let server = RegistryServer.make(
        configuration: configuration, store: state.store, executor: PostgresExecutor(maxConcurrentJobs: 1),
        callers: callers, logger: logger)
    try server.start()
    do {
        try await body(server.socketPath, state.store, server.permissions)
    } catch {
        await server.shutDown()
        throw error
    }
    await server.shutDown()
}

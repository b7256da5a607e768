import Foundation
import PostgresTestSupport
import StewardClient
import StewardCore
import StewardServer
import StewardStore
import StewardWire
import Testing

/// RotateCredentials has no `update_paths`: its refusals name its own fields.
@Suite("RotateCredentials arguments", .timeLimit(.minutes(2)))
struct RotateCredentialsArgumentTests {
    @Test("RotateCredentials with neither username nor password is INVALID_ARGUMENT naming password, not update_paths; audited; nothing changes")
    func nothingToRotate() async throws {
        let administrator = PermissionEnforcementTests.FixedCaller { Caller.administrator(uid: $0) }
        let target = try TestPostgres.pg16.adminOverSocket()
        try await withRegistryServer(limits: ServerLimits(), callers: administrator) { socketPath, store, _ in
            let client = try StewardClient.connect(socketPath: socketPath)
            defer { client.close() }
            var settings = StewardV1.ConnectionSettings()
            settings.deploymentType = .selfManaged
            settings.host = target.host
            settings.port = UInt32(target.port)
            settings.stateDatabase = uniqueName("steward_state")
            settings.governedDatabases = ["postgres"]
            settings.username = target.user
            settings.password = try TestPostgres.pg16.password
            _ = try await client.call(StewardV1.Connections.register, .init(displayName: "rotating", settings: settings))
            let before = try store.connection(key: "rotating")

            do {
                _ = try await client.call(StewardV1.Connections.rotateCredentials, .init(key: "rotating", username: "", password: ""))
                Issue.record("an empty rotation was accepted")
            } catch let error as RPCError {
                #expect(error.code == .invalidArgument)
                #expect(error.message.hasPrefix("password: is required"), "\(error.message)")
                #expect(!error.message.contains("update_paths"), "\(error.message)")
            }
            #expect(try store.connection(key: "rotating").revision == before.revision)
            let events = try store.listAuditEvents(AuditFilter(), page: PageRequest()).items
            #expect(events.contains { $0.method == StewardV1.Connections.rotateCredentials.path && $0.status == .invalidArgument })
        }
    }
}

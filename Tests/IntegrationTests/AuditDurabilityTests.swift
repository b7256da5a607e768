import Foundation
import PostgresTestSupport
import StewardClient
import StewardWire
import Testing

/// An audit event is committed with the change it records: after `kill -9`
/// under concurrent writers, every applied change has exactly one succeeded
/// event and every succeeded event's change is there.
@Suite("Audit durability under kill -9", .timeLimit(.minutes(3)))
struct AuditDurabilityTests {
    /// Four kinds of mutation, each with a trace in the registry.
    enum Mutation: CaseIterable {
        case createUser, grant, registerConnection, updateConnection

        var method: String {
            switch self {
            case .createUser: StewardV1.Users.create.path
            case .grant: StewardV1.Users.grant.path
            case .registerConnection: StewardV1.Connections.register.path
            case .updateConnection: StewardV1.Connections.update.path
            }
        }
    }

    @Test("SQLite registry: 12 rounds of kill -9 during concurrent writes")
    func sqlite() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.killRounds(12, directory: directory, arguments: [], environment: [:])
    }

    @Test("PostgreSQL registry: 10 rounds of kill -9 during concurrent writes", arguments: [TestPostgres.pg16, .pg17])
    func postgres(_ server: TestPostgres) async throws {
        let registry = try await SharedModeTests.SharedRegistry.create(on: server)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            try await Self.killRounds(
                10, directory: directory, arguments: ["--store-url", registry.url], environment: registry.environment)
        } catch {
            try? await registry.drop()
            throw error
        }
        try await registry.drop()
    }

    /// Runs `rounds` daemons one after another on one registry, each killed
    /// after a random number of acknowledged calls, then compares the
    /// registry with its audit trail.
    static func killRounds(_ rounds: Int, directory: String, arguments: [String], environment: [String: String]) async throws {
        let socket = directory + "/run/steward.sock"
        let arguments = arguments + ["--state-dir", directory + "/state"]
        for round in 0..<rounds {
            let daemon = try await DaemonProcess.start(socketPath: socket, arguments: arguments, environment: environment)
            // A count of acknowledged calls, not a time, decides the kill, so
            // it lands at a different point of the stream in every round.
            let killAfter = Int.random(in: 8...60)
            let progress = WriteProgress()
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<6 {
                    group.addTask {
                        guard let client = try? StewardClient.connect(socketPath: socket) else { return }
                        defer { client.close() }
                        for index in 0..<1_000 {
                            let name = "r\(round)w\(writer)i\(index)"
                            let uid = UInt32(200_000 + round * 10_000 + writer * 1_000 + index)
                            guard await mutate(client, name: name, uid: uid) else { return }
                            if progress.acknowledge(name) == killAfter { daemon.signal(SIGKILL) }
                        }
                    }
                }
            }
            _ = try await daemon.waitForExit()
        }
        let daemon = try await DaemonProcess.start(socketPath: socket, arguments: arguments, environment: environment)
        let client = try StewardClient.connect(socketPath: socket)
        let applied = try await appliedChanges(client)
        let recorded = try await succeededEvents(client)
        client.close()
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)

        #expect(applied.count >= rounds * 8, "every round acknowledged its calls")
        let unrecorded = applied.filter { recorded[$0, default: 0] == 0 }
        #expect(unrecorded.isEmpty, "applied without an event: \(unrecorded.sorted().prefix(8))")
        let twice = recorded.filter { $0.value > 1 }.keys
        #expect(twice.isEmpty, "applied once, recorded more than once: \(twice.sorted().prefix(8))")
        let phantom = Set(recorded.keys).subtracting(applied)
        #expect(phantom.isEmpty, "an event for a change that is not there: \(phantom.sorted().prefix(8))")
    }

    /// Creates a user and grants it a permission; registers a connection
    /// and updates it. Each writer's calls run in this order, so a kill
    /// lands between any two of them. False once the daemon is gone.
    static func mutate(_ client: StewardClient, name: String, uid: UInt32) async -> Bool {
        do {
            _ = try await client.call(StewardV1.Users.create, StewardV1.CreateUserRequest(name: name, uid: uid))
            _ = try await client.call(
                StewardV1.Users.grant, StewardV1.GrantPermissionRequest(userName: name, permission: .applicationAdmin))
            _ = try await client.call(
                StewardV1.Connections.register,
                StewardV1.RegisterConnectionRequest(displayName: name, settings: CrashSafetyTests.settings(for: name)))
            var settings = StewardV1.ConnectionSettings()
            settings.governedDatabases = ["updated_\(name)"]
            _ = try await client.call(
                StewardV1.Connections.update,
                StewardV1.UpdateConnectionRequest(key: name, settings: settings, updatePaths: ["governed_databases"]))
            return true
        } catch {
            return false
        }
    }

    /// "method target" for each change found in the registry.
    static func appliedChanges(_ client: StewardClient) async throws -> Set<String> {
        var applied: Set<String> = []
        var users = StewardV1.ListUsersRequest(pageSize: 1000)
        repeat {
            let page = try await client.call(StewardV1.Users.list, users)
            for user in page.users where user.name.hasPrefix("r") {
                applied.insert("\(Mutation.createUser.method) \(user.name)")
                if user.permissions.contains(.applicationAdmin) { applied.insert("\(Mutation.grant.method) \(user.name)") }
            }
            users.pageToken = page.nextPageToken
        } while !users.pageToken.isEmpty
        var connections = StewardV1.ListConnectionsRequest(pageSize: 1000)
        repeat {
            let page = try await client.call(StewardV1.Connections.list, connections)
            for connection in page.connections {
                applied.insert("\(Mutation.registerConnection.method) \(connection.key)")
                if connection.settings?.governedDatabases == ["updated_\(connection.key)"] {
                    applied.insert("\(Mutation.updateConnection.method) \(connection.key)")
                }
            }
            connections.pageToken = page.nextPageToken
        } while !connections.pageToken.isEmpty
        return applied
    }

    /// How many succeeded events each "method target" has.
    static func succeededEvents(_ client: StewardClient) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        var request = StewardV1.ListAuditEventsRequest(outcome: .succeeded, pageSize: 1000)
        repeat {
            let page = try await client.call(StewardV1.Audit.list, request)
            for event in page.events { counts["\(event.method) \(event.target)", default: 0] += 1 }
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty
        return counts
    }
}

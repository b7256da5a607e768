import Foundation
import StewardClient
import StewardWire
import Synchronization
import Testing

/// An acknowledged write survives `kill -9`; nothing half-written appears.
@Suite("Crash safety", .timeLimit(.minutes(2)))
struct CrashSafetyTests {
    /// The settings each test connection is registered with, derived from its key.
    static func settings(for key: String) -> StewardV1.ConnectionSettings {
        var settings = StewardV1.ConnectionSettings()
        settings.deploymentType = .selfManaged
        settings.host = "db-\(key).example.com"
        settings.port = 5432
        settings.stateDatabase = "state_\(key)"
        settings.governedDatabases = ["sales_\(key)", "hr_\(key)"]
        settings.username = "role_\(key)"
        settings.password = "secret-\(key)"
        return settings
    }

    @Test("SIGKILL during concurrent registrations: every acknowledged one is there, complete", arguments: [1, 2, 3])
    func killDuringWrites(round: Int) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/run/steward.sock"
        let daemon = try await DaemonProcess.start(socketPath: socket)
        // Killed after a random number of acknowledged writes, so the kill
        // lands at a different point of the stream in every round.
        let killAfter = Int.random(in: 20...200)
        let progress = WriteProgress()

        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    guard let client = try? StewardClient.connect(socketPath: socket) else { return }
                    defer { client.close() }
                    for index in 0..<1_000 {
                        let key = "r\(round)-w\(writer)-\(index)"
                        let request = StewardV1.RegisterConnectionRequest(displayName: key, settings: Self.settings(for: key))
                        guard (try? await client.call(StewardV1.Connections.register, request)) != nil else { return }
                        if progress.acknowledge(key) == killAfter {
                            daemon.signal(SIGKILL)
                        }
                    }
                }
            }
        }
        #expect(progress.keys.count >= killAfter, "the daemon was killed mid-stream")
        _ = try await daemon.waitForExit()

        let restarted = try await DaemonProcess.start(socketPath: socket)
        let client = try StewardClient.connect(socketPath: socket)
        var stored: [StewardV1.Connection] = []
        var request = StewardV1.ListConnectionsRequest(pageSize: 1000)
        repeat {
            let page = try await client.call(StewardV1.Connections.list, request)
            stored += page.connections
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty

        let acknowledgedKeys = Set(progress.keys)
        let storedKeys = Set(stored.map(\.key))
        #expect(acknowledgedKeys.isSubset(of: storedKeys), "lost: \(acknowledgedKeys.subtracting(storedKeys).sorted().prefix(5))")
        // At most the writes in flight at the kill may have landed unacknowledged.
        #expect(storedKeys.count - acknowledgedKeys.count <= 8)
        for connection in stored {
            var expected = Self.settings(for: connection.key)
            expected.password = "[REDACTED]"
            expected.sslMode = .prefer
            #expect(connection.settings == expected, "\(connection.key) is not whole")
            #expect(connection.state == .registered && connection.revision == 1)
        }
        client.close()
        restarted.signal(SIGTERM)
        #expect(try await restarted.waitForExit() == 0)
    }
}

/// The registrations the daemon acknowledged, shared by the writers.
final class WriteProgress: Sendable {
    private let acknowledged = Mutex<[String]>([])

    /// Records `key`; returns how many are acknowledged now.
    func acknowledge(_ key: String) -> Int {
        acknowledged.withLock { keys in
            keys.append(key)
            return keys.count
        }
    }

    var keys: [String] { acknowledged.withLock { $0 } }
}

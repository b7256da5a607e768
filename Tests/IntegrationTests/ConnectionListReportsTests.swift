import Foundation
import StewardClient
import StewardCore
import StewardModel
import StewardServer
import StewardStore
import StewardWire
import Testing

/// Connections.List carries each connection's last validation, read for the
/// whole page at once (not one read per listed connection).
@Suite("Connections.List with each connection's last validation", .timeLimit(.minutes(2)))
struct ConnectionListReportsTests {
    @Test("Every listed connection, page by page, carries its own newest report; one never validated carries none")
    func reportsPerConnection() async throws {
        let administrator = PermissionEnforcementTests.FixedCaller { Caller.administrator(uid: $0) }
        try await withRegistryServer(limits: ServerLimits(), callers: administrator) { socketPath, store, _ in
            var expected: [String: ValidationReport] = [:]
            for (index, key) in ["alpha", "beta", "gamma", "delta"].enumerated() {
                let settings = ConnectionSettings(
                    displayName: key, deploymentType: .selfManaged, host: "db.example.internal", port: 5432,
                    stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward_role",
                    sslMode: .prefer, caCertificate: nil)
                try store.createConnection(key: key, settings: settings, password: Secret("pw-\(key)"), createdBy: 0)
                guard key != "gamma" else { continue }
                for round in 0...index {
                    let checks = [
                        CheckResult(name: "reachable", status: .passed, message: "\(key) round \(round)"),
                        CheckResult(
                            name: "table privileges", status: round == index ? .failed : .passed, message: "round \(round)",
                            failingObjectCount: 1, failingObjects: ["sales.public.\(key)_\(round)"]),
                    ]
                    expected[key] = try store.recordValidation(
                        ValidationResult(at: Date(timeIntervalSince1970: Double(1_000 + round)), checks: checks),
                        connectionKey: key, expectedRevision: 1, change: nil
                    ).report
                }
            }
            let client = try StewardClient.connect(socketPath: socketPath)
            defer { client.close() }
            var request = StewardV1.ListConnectionsRequest(pageSize: 3)
            var listed: [StewardV1.Connection] = []
            repeat {
                let page = try await client.call(StewardV1.Connections.list, request)
                listed += page.connections
                request.pageToken = page.nextPageToken
            } while !request.pageToken.isEmpty
            #expect(listed.map(\.key) == ["alpha", "beta", "delta", "gamma"])
            for connection in listed {
                let report = expected[connection.key]
                #expect((connection.lastValidation != nil) == (report != nil), "\(connection.key)")
                guard let report, let shown = connection.lastValidation else { continue }
                #expect(shown.connectionKey == connection.key)
                #expect(shown.passed == false, "the newest round failed: \(connection.key)")
                #expect(shown.checks.map(\.message) == report.checks.map(\.message))
                #expect(shown.checks.map(\.failingObjects) == report.checks.map(\.failingObjects))
            }
        }
    }
}

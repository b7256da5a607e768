import Foundation
import StewardCore
import StewardModel
import StewardStore
import Testing

/// How a change report shows each field: as its descriptor says
/// (`ConnectionSettingsFieldDescriptor.Shown`).
@Suite("Connections.Update: change reports show each field as its descriptor says", .timeLimit(.minutes(1)))
struct UpdateChangeDisplayTests {
    static let first = "MIIBszCCAVmgAwIBAgIUZm9vYmFy"
    static let second = "MIIBszCCAVmgAwIBAgIUYmF6cXV4"

    static func pem(_ bodies: String...) -> String {
        bodies.map { "-----BEGIN CERTIFICATE-----\n\($0)\n-----END CERTIFICATE-----\n" }.joined()
    }

    @Test("A CA bundle is shown by one SHA-256 fingerprint per certificate, never its PEM; the password never")
    func caBundleByFingerprint() async throws {
        let directory = NSTemporaryDirectory() + "steward-core-shown-\(UUID().uuidString)"
        let state = try StateDirectory.open(at: directory)
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        let admin = Caller.administrator(uid: 0)
        let service = ConnectionsService(store: state.store, prober: RecordingProber())
        _ = try await service.register(
            displayName: "sales-db",
            request: (ConnectionSettings(
                displayName: "", deploymentType: .selfManaged, host: "db.example.com", port: 5432,
                stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward", sslMode: .verifyFull,
                caCertificate: Self.pem(Self.first)), "pw"),
            caller: admin, deadline: .after(milliseconds: 1000))

        let plan = try service.update(
            key: "sales-db", changes: [.caCertificate(Self.pem(Self.first, Self.second)), .password("pw2")],
            expectedRevision: nil, dryRun: true, caller: admin)
        let ca = try #require(plan.changes.first { $0.path == "ca_certificate_pem" })
        let fingerprint = /SHA256(:[0-9A-F]{2}){32}/
        #expect(try fingerprint.wholeMatch(in: ca.oldValue) != nil, "\(ca.oldValue)")
        let new = ca.newValue.components(separatedBy: ", ")
        #expect(new.count == 2 && new.allSatisfy { (try? fingerprint.wholeMatch(in: $0)) != nil }, "\(ca.newValue)")
        #expect(new.first == ca.oldValue, "the certificate kept has the same fingerprint")
        for value in [ca.oldValue, ca.newValue] {
            #expect(!value.contains("BEGIN") && !value.contains(Self.first), "\(value)")
        }
        let password = try #require(plan.changes.first { $0.path == "password" })
        #expect(password.oldValue == "[REDACTED]" && password.newValue == "[REDACTED]")
    }
}

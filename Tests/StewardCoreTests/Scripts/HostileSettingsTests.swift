import Foundation
import StewardCore
import StewardModel
import StewardStore
import Testing

/// Hostile names never reach a script: settings refuse them, naming the
/// field; names discovered on a server pass the same rules; a stored record
/// that breaks them is refused a script. And a CA bundle keeps only its
/// certificates. The service runs on a real SQLite store with a scripted
/// database (`ScriptedProber`).
@Suite("Hostile settings: refused before any script", .timeLimit(.minutes(1)))
struct HostileSettingsTests {
    static let payloads = ["\n\\! touch /tmp/x", "\n\\gexec", "\n\\i /tmp/x.sql", "\r\\! id", "\u{2028}x"]

    static func settings(
        host: String = "db.example.com", state: String = "steward_state", governed: [String] = ["sales"], username: String = "steward",
        ca: String? = nil
    ) -> ConnectionSettings {
        ConnectionSettings(
            displayName: "", deploymentType: .selfManaged, host: host, port: 5432, stateDatabase: state,
            governedDatabases: governed, username: username, sslMode: .prefer, caCertificate: ca)
    }

    func withService<T>(
        discovered: [String] = ["sales"], _ body: (ConnectionsService, StateDirectory) async throws -> T
    ) async throws -> T {
        let directory = NSTemporaryDirectory() + "steward-hostile-\(UUID().uuidString)"
        let state = try StateDirectory.open(at: directory)
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        return try await body(ConnectionsService(store: state.store, prober: ScriptedProber(discovered: discovered)), state)
    }

    @Test("Every setting that reaches the script refuses a line break or control character, naming the field", arguments: payloads)
    func settingsRefused(payload: String) async throws {
        let cases: [(String, ConnectionSettings)] = [
            ("host", Self.settings(host: "/tmp/sock" + payload)),
            ("state_database", Self.settings(state: "s" + payload)),
            ("governed_databases[0]", Self.settings(governed: ["d" + payload])),
            ("username", Self.settings(username: "r" + payload)),
        ]
        try await withService { service, _ in
            for (field, settings) in cases {
                let error = await #expect(throws: DomainError.self) {
                    _ = try await service.register(
                        displayName: "c", request: (settings, "pw"), caller: .administrator(uid: 0), deadline: .after(milliseconds: 1000))
                }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.hasPrefix("\(field): ") == true, "\(error?.message ?? "")")
                #expect(error?.message.contains(payload) == false, "the message shows the name escaped, not raw")
            }
        }
    }

    @Test("A discovered database whose name holds a line break fails the registration, naming it")
    func discoveredRefused() async throws {
        try await withService(discovered: ["sales", "evil\n\\! touch /tmp/x"]) { service, state in
            let error = await #expect(throws: DomainError.self) {
                _ = try await service.register(
                    displayName: "c", request: (Self.settings(governed: []), "pw"), caller: .administrator(uid: 0),
                    deadline: .after(milliseconds: 1000))
            }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message.contains(#"discovered database "evil\n\! touch /tmp/x""#) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("governed_databases") == true)
            let stored = try state.store.listConnections(state: nil, page: PageRequest()).items
            #expect(stored.isEmpty)
        }
    }

    @Test("A stored connection whose settings break today's rules gets no setup script")
    func storedRefused() async throws {
        try await withService { service, state in
            var settings = Self.settings(governed: ["sales", "evil\n\\! touch /tmp/x"])
            settings.displayName = "legacy"
            // The store takes what it is given: as a registration before the rule did.
            _ = try state.store.createConnection(key: "legacy", settings: settings, password: Secret("pw"), createdBy: 0)
            let error = #expect(throws: DomainError.self) { _ = try service.setupScript(key: "legacy") }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message.contains("governed_databases[1]") == true, "\(error?.message ?? "")")
        }
    }

    // MARK: CA bundle

    static let certificate = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZm9v\nYmFy\n-----END CERTIFICATE-----"

    @Test("A CA bundle keeps only its CERTIFICATE blocks")
    func caBundleKeepsCertificates() async throws {
        let pasted = "Subject: CN=Example CA\n\(Self.certificate)\r\n  \n-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n\(Self.certificate)\ntrailing text"
        #expect(try CABundle.certificates(in: pasted) == Self.certificate + "\n" + Self.certificate + "\n")
        try await withService { service, _ in
            let record = try await service.register(
                displayName: "c", request: (Self.settings(ca: pasted), "pw"), caller: .administrator(uid: 0),
                deadline: .after(milliseconds: 1000))
            #expect(record.settings.caCertificate == Self.certificate + "\n" + Self.certificate + "\n")
        }
    }

    @Test(
        "A CA bundle holding a private key of any kind is refused, naming the field",
        arguments: ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY"])
    func caBundleRefusesKeys(label: String) async throws {
        let pasted = "\(Self.certificate)\n-----BEGIN \(label)-----\nMIIEvQIBADANBg\n-----END \(label)-----\n"
        try await withService { service, state in
            let error = await #expect(throws: DomainError.self) {
                _ = try await service.register(
                    displayName: "c", request: (Self.settings(ca: pasted), "pw"), caller: .administrator(uid: 0),
                    deadline: .after(milliseconds: 1000))
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.hasPrefix("ca_certificate_pem: ") == true)
            #expect(error?.message.contains("private key") == true)
            #expect(error?.message.contains("MIIEvQ") == false, "the key is never echoed")
            let stored = try state.store.listConnections(state: nil, page: PageRequest()).items
            #expect(stored.isEmpty)
        }
    }

    @Test("A CA bundle with no certificate, or a block never ended, is refused")
    func caBundleMalformed() {
        for pem in ["not a certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----"] {
            let error = #expect(throws: DomainError.self) { _ = try CABundle.certificates(in: pem) }
            #expect(error?.message.hasPrefix("ca_certificate_pem: ") == true)
        }
    }
}

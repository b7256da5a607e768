import Foundation
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import StewardWire
import Synchronization
import Testing

/// A prober that records every password it is handed: the service's seam to
/// the live database, so "never sent" means "never reached here".
final class RecordingProber: ConnectionProber {
    let passwords = Mutex<[String]>([])

    func validate(key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline) async -> [CheckResult] {
        passwords.withLock { $0.append(password) }
        return ConnectionChecks.all.map { CheckResult(name: $0, status: .passed, message: "recorded") }
    }

    func discoverDatabases(settings: ConnectionSettings, password: String, deadline: Deadline) async throws(DomainError) -> [String] {
        passwords.withLock { $0.append(password) }
        return ["sales"]
    }
}

/// Security issue item 2: the stored password never goes to a server it was
/// not given for.
@Suite("Connections: the stored password goes only where it was given for", .timeLimit(.minutes(2)))
struct ConnectionsPasswordDestinationTests {
    let directory: String
    let state: StateDirectory
    let prober = RecordingProber()
    let service: ConnectionsService
    let admin = Caller.administrator(uid: 0)
    let updates = AuditFilter(method: "/steward.v1.Connections/Update")

    init() async throws {
        directory = NSTemporaryDirectory() + "steward-core-pw-\(UUID().uuidString)"
        state = try StateDirectory.open(at: directory)
        service = ConnectionsService(store: state.store, prober: prober)
        _ = try await service.register(
            displayName: "sales-db",
            request: (ConnectionSettings(
                displayName: "", deploymentType: .selfManaged, host: "db.example.com", port: 5432,
                stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward", sslMode: .prefer), "pw"),
            caller: admin, deadline: .after(milliseconds: 1000))
    }

    func cleanUp() {
        state.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static let destinationChanges: [SettingsChange] = [
        .host("elsewhere.example.com"), .port(6543), .username("other_role"), .sslMode(.disable),
        .caCertificate("-----BEGIN CERTIFICATE-----\nMIIBother\n-----END CERTIFICATE-----\n"),
    ]

    @Test("Changing host, port, username, sslmode or CA without the password is INVALID_ARGUMENT naming password, dry run or not",
          arguments: destinationChanges)
    func destinationNeedsPassword(change: SettingsChange) throws {
        defer { cleanUp() }
        let before = try service.connection(key: "sales-db")
        for dryRun in [true, false] {
            let error = #expect(throws: DomainError.self) {
                _ = try service.update(key: "sales-db", changes: [change], expectedRevision: nil, dryRun: dryRun, caller: admin)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.hasPrefix("password: is required when \(change.path) changes") == true, "\(String(describing: error))")
        }
        #expect(try service.connection(key: "sales-db") == before)
        // With the password given again, the same change is allowed.
        let plan = try service.update(key: "sales-db", changes: [change, .password("pw2")], expectedRevision: nil, dryRun: false, caller: admin)
        #expect(!plan.passwordKept)
        #expect(try state.store.connectionPassword(key: "sales-db").exposedValue == "pw2")
    }

    @Test("Fields that do not decide where the password goes need no password")
    func otherFieldsNeedNone() throws {
        defer { cleanUp() }
        let plan = try service.update(
            key: "sales-db", changes: [.governedDatabases(["sales", "hr"]), .stateDatabase("steward_state2")],
            expectedRevision: nil, dryRun: false, caller: admin)
        #expect(!plan.passwordKept)
        #expect(try state.store.connectionPassword(key: "sales-db").exposedValue == "pw")
    }

    @Test("keep_password: a dry run reports it and changes nothing; the update keeps the password for the new host and the audit event says so")
    func keepPassword() throws {
        defer { cleanUp() }
        let before = try service.connection(key: "sales-db")
        let dryRun = try service.update(
            key: "sales-db", changes: [.host("elsewhere.example.com"), .port(6543)], expectedRevision: nil, dryRun: true,
            keepPassword: true, caller: admin)
        #expect(dryRun.dryRun && dryRun.passwordKept)
        #expect(try service.connection(key: "sales-db") == before)
        #expect(try state.store.listAuditEvents(updates, page: PageRequest()).items.isEmpty)

        let plan = try service.update(
            key: "sales-db", changes: [.host("elsewhere.example.com"), .port(6543)], expectedRevision: nil, dryRun: false,
            keepPassword: true, caller: admin)
        #expect(plan.passwordKept)
        #expect(plan.connection.host == "elsewhere.example.com")
        // Resealed for the new destination: it opens for it, not for the old one.
        #expect(try state.store.connectionPassword(key: "sales-db", for: plan.connection.settings).exposedValue == "pw")
        #expect(throws: StoreError.self) { _ = try state.store.connectionPassword(key: "sales-db", for: before.settings) }

        let event = try #require(try state.store.listAuditEvents(updates, page: PageRequest()).items.first)
        #expect(event.status == .ok)
        #expect(event.message == "keep_password: the stored password is kept for the changed host, port")
    }

    @Test("keep_password together with a new password is INVALID_ARGUMENT naming keep_password")
    func keepAndNewPassword() throws {
        defer { cleanUp() }
        let error = #expect(throws: DomainError.self) {
            _ = try service.update(
                key: "sales-db", changes: [.host("elsewhere.example.com"), .password("pw2")], expectedRevision: nil,
                dryRun: false, keepPassword: true, caller: admin)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("keep_password: ") == true)
    }

    @Test("A row whose host was changed behind the daemon's back: validation is FAILED_PRECONDITION and the password is never handed on")
    func tamperedRowNeverSends() async throws {
        defer { cleanUp() }
        let store = try #require(state.store as? SQLiteRegistryStore)
        try store.withDatabase { database in
            _ = try database.run("UPDATE connections SET host = 'attacker.example.com' WHERE key = 'sales-db'")
        }
        let error = await #expect(throws: DomainError.self) {
            _ = try await service.validate(key: "sales-db", caller: admin, deadline: .after(milliseconds: 1000))
        }
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message.contains("does not open for the connection's current host, port, username and TLS settings") == true)
        #expect(prober.passwords.withLock { $0 }.isEmpty)
        // Nor does an update that keeps the password launder the row.
        let laundered = #expect(throws: DomainError.self) {
            _ = try service.update(key: "sales-db", changes: [.port(6543)], expectedRevision: nil, dryRun: false, keepPassword: true, caller: admin)
        }
        #expect(laundered?.code == .failedPrecondition)
    }
}

import Foundation
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import StewardWire
import Synchronization
import Testing

/// A stand-in for the live database, so that the service's own rules are
/// tested apart from PostgreSQL (the checks themselves are tested against
/// real servers in Validation/). It answers what the test sets.
final class ScriptedProber: ConnectionProber {
    private let verdict = Mutex<CheckStatus>(.passed)
    let discovered: [String]

    init(discovered: [String] = ["sales", "hr"]) { self.discovered = discovered }

    func set(_ status: CheckStatus) { verdict.withLock { $0 = status } }

    func validate(key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline) async -> [CheckResult] {
        let status = verdict.withLock { $0 }
        return ConnectionChecks.all.map { CheckResult(name: $0, status: $0 == "table_privileges" ? status : .passed, message: "scripted") }
    }

    func discoverDatabases(settings: ConnectionSettings, password: String, deadline: Deadline) async throws(DomainError) -> [String] {
        discovered
    }
}

@Suite("Connections service (SQLite store, scripted database)", .timeLimit(.minutes(2)))
struct ConnectionsServiceTests {
    let directory: String
    let state: StateDirectory
    let prober = ScriptedProber()
    let service: ConnectionsService
    let admin = Caller.administrator(uid: 0)
    let stranger = Caller(uid: 4242, userName: "stranger")

    init() throws {
        directory = NSTemporaryDirectory() + "steward-core-\(UUID().uuidString)"
        state = try StateDirectory.open(at: directory)
        service = ConnectionsService(store: state.store, prober: prober)
    }

    func settings(governed: [String] = ["sales"]) -> ConnectionSettings {
        ConnectionSettings(
            displayName: "", deploymentType: .selfManaged, host: "db.example.com", port: 5432,
            stateDatabase: "steward_state", governedDatabases: governed, username: "steward", sslMode: .prefer)
    }

    func register(_ key: String = "sales-db", governed: [String] = ["sales"]) async throws -> ConnectionRecord {
        try await service.register(
            displayName: key, request: (settings(governed: governed), "pw"), caller: admin,
            deadline: .after(milliseconds: 1000))
    }

    @Test("Register, validate, complete setup: ACTIVE, each step in the history")
    func happyPath() async throws {
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        let registered = try await register()
        #expect(registered.state == .registered)
        let (validated, report) = try await service.validate(key: "sales-db", caller: admin, deadline: .after(milliseconds: 1000))
        #expect(validated.state == .validated)
        #expect(report.checks.map(\.name) == ConnectionChecks.all)
        let active = try service.completeSetup(key: "sales-db", caller: admin)
        #expect(active.state == .active)
        let history = try state.store.transitions(key: "sales-db").map(\.to)
        #expect(history == [.registered, .validated, .active])
    }

    @Test("A caller without APPLICATION_ADMIN is denied, and the denial is audited")
    func denied() async throws {
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        let error = await #expect(throws: DomainError.self) {
            _ = try await service.register(
                displayName: "x", request: (settings(), "pw"), caller: stranger, deadline: .after(milliseconds: 1000))
        }
        #expect(error?.code == .permissionDenied)
        let events = try state.store.listAuditEvents(AuditFilter(), page: PageRequest()).items
        #expect(events.count == 1)
        #expect(events.first?.uid == 4242 && events.first?.status == .permissionDenied)
        #expect(events.first?.method == "/steward.v1.Connections/Register")
    }

    @Test("Bad input and duplicates are refused with their status")
    func refusals() async throws {
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        _ = try await register()
        let duplicate = await #expect(throws: DomainError.self) { _ = try await register() }
        #expect(duplicate?.code == .alreadyExists)
        let reserved = await #expect(throws: DomainError.self) { _ = try await register("sync") }
        #expect(reserved?.code == .invalidArgument)
        let noPassword = await #expect(throws: DomainError.self) {
            _ = try await service.register(displayName: "p", request: (settings(), nil), caller: admin, deadline: .after(milliseconds: 1000))
        }
        #expect(noPassword?.message == "password: is required")
    }

    @Test("With no governed database named, they are discovered")
    func discovery() async throws {
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        let record = try await register(governed: [])
        #expect(record.governedDatabases == ["sales", "hr"])
    }

    @Test("Complete setup needs a passing validation of the current settings")
    func completeNeedsFreshValidation() async throws {
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        _ = try await register()
        let early = #expect(throws: DomainError.self) { _ = try service.completeSetup(key: "sales-db", caller: admin) }
        #expect(early?.code == .failedPrecondition)
        #expect(early?.message.contains("validate it first") == true)

        prober.set(.failed)
        let (failed, _) = try await service.validate(key: "sales-db", caller: admin, deadline: .after(milliseconds: 1000))
        #expect(failed.state == .validationFailed)
        prober.set(.passed)
        _ = try await service.validate(key: "sales-db", caller: admin, deadline: .after(milliseconds: 1000))
        // An update of where Steward connects sends it back to REGISTERED.
        let plan = try service.update(key: "sales-db", changes: [.port(6543), .password("pw")], expectedRevision: nil, dryRun: false, caller: admin)
        #expect(plan.connection.state == .registered)
        #expect(plan.checksToRerun == ConnectionChecks.all)
        let stale = #expect(throws: DomainError.self) { _ = try service.completeSetup(key: "sales-db", caller: admin) }
        #expect(stale?.code == .failedPrecondition)
    }

    @Test("A dry-run update reports the changes and the checks to rerun, and changes nothing")
    func dryRun() async throws {
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        let before = try await register()
        let plan = try service.update(
            key: "sales-db", changes: [.governedDatabases(["sales", "hr"]), .password("new")], expectedRevision: nil, dryRun: true, caller: admin)
        #expect(plan.dryRun)
        #expect(plan.changes.map(\.path) == ["governed_databases", "password"])
        #expect(plan.changes.last?.newValue == "[REDACTED]" && plan.changes.last?.oldValue == "[REDACTED]")
        #expect(plan.checksToRerun.first == "login")
        let after = try service.connection(key: "sales-db")
        #expect(after == before)
        #expect(try state.store.connectionPassword(key: "sales-db").exposedValue == "pw")
    }

    @Test("A denied dry-run update is audited as a denial; an allowed dry run leaves no event")
    func deniedDryRunAudited() async throws {
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        let before = try await register()
        let updates = AuditFilter(method: "/steward.v1.Connections/Update")

        // An allowed dry run (and one whose input is bad) changes nothing and leaves nothing.
        _ = try service.update(key: "sales-db", changes: [.port(6543)], expectedRevision: nil, dryRun: true, keepPassword: true, caller: admin)
        let badInput = #expect(throws: DomainError.self) {
            _ = try service.update(key: "sales-db", changes: [.port(0)], expectedRevision: nil, dryRun: true, caller: admin)
        }
        #expect(badInput?.code == .invalidArgument)
        #expect(try state.store.listAuditEvents(updates, page: PageRequest()).items.isEmpty)

        // A user without APPLICATION_ADMIN: denied, whether a dry run or not, and each denial is an event.
        let userAdmin = Caller(uid: 4343, userName: "uadmin", permissions: [.userAdmin])
        let denied = #expect(throws: DomainError.self) {
            _ = try service.update(key: "sales-db", changes: [.port(6543)], expectedRevision: nil, dryRun: true, caller: userAdmin)
        }
        #expect(denied?.code == .permissionDenied)
        let events = try state.store.listAuditEvents(updates, page: PageRequest()).items
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.method == "/steward.v1.Connections/Update")
        #expect(event.status == .permissionDenied)
        #expect(event.uid == 4343 && event.userName == "uadmin")
        #expect(event.target == "sales-db" && event.connectionKey == "sales-db")
        #expect(event.message == denied?.message)

        // Even a denied caller's undecodable changes are a denial, and audited.
        let deniedMalformed = #expect(throws: DomainError.self) {
            _ = try service.update(
                key: "sales-db", changes: try { () throws(DomainError) -> [SettingsChange] in
                    throw DomainError.invalidArgument("update_paths", "\"nonsense\" is not a field")
                }(), expectedRevision: nil, dryRun: true, caller: stranger)
        }
        #expect(deniedMalformed?.code == .permissionDenied)
        let statuses = try state.store.listAuditEvents(updates, page: PageRequest()).items.map(\.status)
        #expect(statuses == [.permissionDenied, .permissionDenied])
        #expect(try service.connection(key: "sales-db") == before)
    }

    @Test("An update at a stale revision is ABORTED")
    func staleRevision() async throws {
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        let record = try await register()
        let error = #expect(throws: DomainError.self) {
            _ = try service.update(key: "sales-db", changes: [.port(1)], expectedRevision: record.revision + 5, dryRun: false, caller: admin)
        }
        #expect(error?.code == .aborted)
    }

    @Test("Rechecks: a failing validation of an ACTIVE connection makes it UNHEALTHY, a passing one ACTIVE again")
    func unhealthy() async throws {
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        _ = try await register()
        _ = try await service.validate(key: "sales-db", caller: admin, deadline: .after(milliseconds: 1000))
        _ = try service.completeSetup(key: "sales-db", caller: admin)
        prober.set(.failed)
        #expect(try await service.validate(key: "sales-db", caller: admin, deadline: .after(milliseconds: 1000)).0.state == .unhealthy)
        prober.set(.passed)
        #expect(try await service.validate(key: "sales-db", caller: admin, deadline: .after(milliseconds: 1000)).0.state == .active)
    }

    @Test("Only an INACTIVE connection can be deleted; activating it sends it back to REGISTERED")
    func deactivateDelete() async throws {
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        _ = try await register()
        let refused = #expect(throws: DomainError.self) { try service.delete(key: "sales-db", caller: admin) }
        #expect(refused?.code == .failedPrecondition)
        #expect(try service.deactivate(key: "sales-db", caller: admin).state == .inactive)
        #expect(try service.activate(key: "sales-db", caller: admin).state == .registered)
        _ = try service.deactivate(key: "sales-db", caller: admin)
        try service.delete(key: "sales-db", caller: admin)
        let gone = #expect(throws: DomainError.self) { _ = try service.connection(key: "sales-db") }
        #expect(gone?.code == .notFound)
    }

    @Test("The setup script carries this registration's marker")
    func script() async throws {
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        let record = try await register()
        let script = try service.setupScript(key: "sales-db")
        #expect(script.marker.hasPrefix("steward:sales-db:"))
        #expect(try script.text.contains(script.marker))
        #expect(try script.text.contains("\\set ON_ERROR_STOP on"))
        #expect(record.key == "sales-db")
    }

    @Test("Rechecks move ACTIVE to UNHEALTHY and back, recorded in the history as the daemon, not audited")
    func rechecks() async throws {
        _ = try await register()
        _ = try await service.validate(key: "sales-db", caller: admin, deadline: .after(milliseconds: 1000))
        _ = try service.completeSetup(key: "sales-db", caller: admin)
        _ = try await register("still-new")
        let auditedBefore = try state.store.listAuditEvents(AuditFilter(), page: PageRequest(size: 1000)).items.count
        let schedule = RecheckSchedule(store: state.store, service: service, interval: .seconds(3600), actor: 990_001)

        prober.set(.failed)
        let failed = await schedule.runOnce()
        #expect(failed.map(\.key) == ["sales-db"], "only ACTIVE and UNHEALTHY connections are rechecked")
        #expect(failed.first?.before == .active)
        #expect(try failed.first?.after.get() == .unhealthy)

        prober.set(.passed)
        let passed = await schedule.runOnce()
        #expect(try passed.first?.after.get() == .active)

        let history = try state.store.transitions(key: "sales-db")
        #expect(history.suffix(2).map(\.to) == [.unhealthy, .active])
        #expect(history.suffix(2).map(\.reason) == ["recheck failed", "recheck passed"])
        #expect(history.suffix(2).allSatisfy { $0.actor == 990_001 })
        #expect(try state.store.listAuditEvents(AuditFilter(), page: PageRequest(size: 1000)).items.count == auditedBefore)
        let recheckRegistered = await #expect(throws: DomainError.self) {
            _ = try await service.recheck(key: "still-new", actor: 990_001, deadline: .after(milliseconds: 1000))
        }
        #expect(recheckRegistered?.code == .failedPrecondition)
    }
}

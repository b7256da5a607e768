import Foundation
import StewardCore
import StewardModel
import StewardStore
import Testing

/// Connections.Update of `provision_missing_roles`: a setting of what
/// enforcement does, which no validation check depends on.
@Suite("Connections service: provision_missing_roles (SQLite store, scripted database)", .timeLimit(.minutes(2)))
struct ConnectionsProvisionUpdateTests {
    let directory: String
    let state: StateDirectory
    let service: ConnectionsService
    let admin = Caller.administrator(uid: 0)

    init() throws {
        directory = NSTemporaryDirectory() + "steward-core-\(UUID().uuidString)"
        state = try StateDirectory.open(at: directory)
        service = ConnectionsService(store: state.store, prober: ScriptedProber())
    }

    @Test("A dry run shows false → true and no checks to rerun, and changes nothing; the update itself keeps a VALIDATED connection completable")
    func dryRunThenUpdate() async throws {
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        let settings = ConnectionSettings(
            displayName: "", deploymentType: .selfManaged, host: "db.example.com", port: 5432,
            stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward", sslMode: .prefer)
        _ = try await service.register(displayName: "sales-db", request: (settings, "pw"), caller: admin, deadline: .after(milliseconds: 1000))
        let (validated, _) = try await service.validate(key: "sales-db", caller: admin, deadline: .after(milliseconds: 1000))
        #expect(validated.state == .validated && !validated.settings.provisionMissingRoles)

        let plan = try service.update(
            key: "sales-db", changes: [.provisionMissingRoles(true)], expectedRevision: nil, dryRun: true, caller: admin)
        #expect(plan.dryRun)
        #expect(plan.changes.map { "\($0.path): \($0.oldValue) -> \($0.newValue)" } == ["provision_missing_roles: false -> true"])
        #expect(plan.checksToRerun.isEmpty)
        #expect(plan.connection.settings.provisionMissingRoles)
        #expect(try service.connection(key: "sales-db") == validated)

        let applied = try service.update(
            key: "sales-db", changes: [.provisionMissingRoles(true)], expectedRevision: validated.revision, dryRun: false, caller: admin)
        #expect(applied.checksToRerun.isEmpty)
        #expect(applied.connection.state == .validated && applied.connection.settings.provisionMissingRoles)
        #expect(try state.store.connectionPassword(key: "sales-db").exposedValue == "pw")
        let active = try service.completeSetup(key: "sales-db", caller: admin)
        #expect(active.state == .active && active.settings.provisionMissingRoles)

        // Setting it to what it already is changes nothing.
        let same = try service.update(
            key: "sales-db", changes: [.provisionMissingRoles(true)], expectedRevision: nil, dryRun: false, caller: admin)
        #expect(same.changes.isEmpty)
        #expect(try service.connection(key: "sales-db") == active)
    }
}

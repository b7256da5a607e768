import Foundation
import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import StewardTestSupport
import Testing

/// The connection setting `provision_missing_roles`, end to end: stored in a
/// real SQLite registry, changed with Connections.Update, read into the
/// desired state by the EnforcementScheduler, and applied by the
/// LivePolicyEnforcer on a real server.
@Suite(.serialized) struct ProvisionSettingLiveTests {
    @Test("Off, a policy's subscriber role that does not exist is reported and nothing is created; once the connection is updated to provision, the next run creates it NOLOGIN, records it and grants it", arguments: TestPostgres.supported)
    func provisionThroughTheConnection(server: TestPostgres) async throws {
        try await withEnforcementFixture(server) { f in
            try await f.createSchema("s", in: "gov", "CREATE TABLE %s.t (id integer)")
            let ghost = f.name("ghost")
            let directory = NSTemporaryDirectory() + "steward-provision-\(UUID().uuidString)"
            let state = try StateDirectory.open(at: directory)
            defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
            let store = state.store
            let admin = Caller.administrator(uid: 0)

            // The registry: the fixture's connection (provisioning off, as registered by default),
            // its table synced, and a READ policy for a user mapped to a role that does not exist.
            #expect(!f.settings.provisionMissingRoles)
            try store.createConnection(key: f.key, settings: f.settings, password: Secret(f.password), createdBy: 0, walkedTo: .active)
            try store.syncDataSources(
                connectionKey: f.key, scannedDatabases: [f.name("gov")],
                tables: [DiscoveredTable(database: f.name("gov"), schema: "s", table: "t", columns: [ColumnRecord(name: "id", type: "integer", position: 1)])])
            try store.createUser(name: "pat", uid: 5101, permissions: [])
            try store.setMapping(IdentityMapping(userName: "pat", connectionKey: f.key, identity: .postgresUsername(ghost)))
            try store.createPolicy(
                PolicyDefinition(
                    name: "gov-read", access: .read, selectors: [.scope(connection: f.key, database: f.name("gov"), schema: nil)],
                    subjects: [.user("pat")]),
                dryRun: false)
            let scheduler = EnforcementScheduler(
                store: store, enforcer: LivePolicyEnforcer(executor: testExecutor), daemonUID: 990_003,
                auditMethod: "/steward.v1.Policies/Enforce")
            let enforce = AuditedCall(caller: admin, method: "/steward.v1.Policies/Enforce", target: f.key, connectionKey: f.key)
            func roleCount() async throws -> Int {
                try await withAdmin(server) { connection in
                    try connection.run("SELECT count(*) AS n FROM pg_roles WHERE rolname = $1", [ghost]).rows[0].int("n")
                }
            }

            let reported = try await scheduler.enforce(key: f.key, dryRun: false, call: enforce, deadline: .after(milliseconds: 60_000))
            #expect(reported.report.missingRoles == [ghost])
            #expect(reported.report.statements.allSatisfy { $0.purpose != .provision })
            #expect(try await roleCount() == 0)

            // Turning it on is a settings change that needs no validation: the connection stays ACTIVE.
            let connections = ConnectionsService(store: store, prober: ScriptedProber())
            let before = try store.connection(key: f.key)
            let plan = try connections.update(
                key: f.key, changes: [.provisionMissingRoles(true)], expectedRevision: nil, dryRun: false, caller: admin)
            #expect(plan.checksToRerun.isEmpty)
            #expect(plan.connection.state == .active && plan.connection.settingsRevision == before.settingsRevision)
            #expect(try store.connection(key: f.key).settings.provisionMissingRoles)

            let provisioned = try await scheduler.enforce(key: f.key, dryRun: false, call: enforce, deadline: .after(milliseconds: 60_000))
            #expect(provisioned.report.missingRoles.isEmpty)
            #expect(provisioned.report.statements.first?.sql == "CREATE ROLE \(q(ghost)) NOLOGIN")
            let (canLogin, hasSelect) = try await withAdmin(server, database: f.name("gov")) { connection in
                let row = try connection.run(
                    "SELECT rolcanlogin, has_table_privilege(rolname, 's.t', 'SELECT') AS sel FROM pg_roles WHERE rolname = $1", [ghost]).rows[0]
                return (try row.bool("rolcanlogin"), try row.bool("sel"))
            }
            #expect(!canLogin)
            #expect(hasSelect)
            let recorded = try await withAdmin(server, database: f.settings.stateDatabase) { connection in
                try connection.run("SELECT count(*) AS n FROM steward.provisioned_roles WHERE role_name = $1", [ghost]).rows[0].int("n")
            }
            #expect(recorded == 1)
        }
    }
}

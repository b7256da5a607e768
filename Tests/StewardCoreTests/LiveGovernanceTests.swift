import Foundation
import PostgresTestSupport
@testable import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Testing

/// UNHEALTHY means "something Steward governed no longer is": on real
/// servers, a recheck after a superuser's new table keeps the connection
/// ACTIVE with a WARNING naming it (sync stores it not governable yet),
/// while a privilege revoked on a governed table still makes it UNHEALTHY.
@Suite("Governed relations across rechecks and syncs on real servers", .timeLimit(.minutes(3)))
struct LiveGovernanceTests {
    let admin = Caller.administrator(uid: 0)

    struct Services {
        let connections: ConnectionsService
        let sync: SyncService
        let store: any RegistryStore
    }

    func withServices(_ body: (Services) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "steward-governance-\(UUID().uuidString)"
        let state = try StateDirectory.open(at: directory)
        defer { state.close(); try? FileManager.default.removeItem(atPath: directory) }
        try await body(Services(
            connections: ConnectionsService(store: state.store, prober: LiveConnectionProber(executor: testExecutor)),
            sync: SyncService(store: state.store, scanner: LiveTableScanner(executor: testExecutor)),
            store: state.store))
    }

    func sync(_ key: String, in services: Services) async throws -> DataSourceSyncSummary {
        try await services.sync.sync(
            key: key, call: admin.calling("/steward.v1.Connections/Sync", target: key, connectionKey: key),
            deadline: .after(milliseconds: 30_000), progress: { _ in }
        ).summary
    }

    func sources(_ key: String, in services: Services) throws -> [String: DataSourceRecord] {
        let page = try services.store.listDataSources(DataSourceFilter(connectionKey: key), page: PageRequest(size: 1000))
        return Dictionary(page.items.map { ("\($0.schema).\($0.table)", $0) }, uniquingKeysWith: { first, _ in first })
    }

    func recheck(_ key: String, in services: Services) async throws -> (LifecycleState, [CheckResult]) {
        let (record, report) = try await services.connections.recheck(key: key, actor: 990_002, deadline: .after(milliseconds: 30_000))
        return (record.state, report.checks)
    }

    @Test("A superuser's new table: ACTIVE with a WARNING naming it, synced not governable yet, governable once fixed; a governed table's lost privilege: UNHEALTHY", arguments: TestPostgres.supported)
    func newTablesWarnLostPrivilegesFail(server: TestPostgres) async throws {
        try await withValidationFixture(server) { fixture in
            let database = fixture.settings.governedDatabases[0]
            let owner = fixture.name("owner")
            try await fixture.admin("CREATE ROLE \(q(owner)) NOLOGIN")
            try await fixture.admin(in: database,
                "CREATE SCHEMA app AUTHORIZATION \(q(owner))",
                "CREATE TABLE app.orders (id int)", "ALTER TABLE app.orders OWNER TO \(q(owner))",
                "CREATE VIEW app.report AS SELECT 1 AS x", "ALTER VIEW app.report OWNER TO \(q(owner))")
            try await withServices { services in
                let key = fixture.key
                _ = try await services.connections.register(
                    displayName: key, request: (fixture.settings, fixture.password), caller: admin, deadline: .after(milliseconds: 30_000))
                let path = NSTemporaryDirectory() + "steward-\(UUID().uuidString).sql"
                try services.connections.setupScript(key: key).text.write(toFile: path, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(atPath: path) }
                let psql = try await Psql.run(scriptAt: path, on: fixture.server)
                try #require(psql.status == 0, "\(psql.output)")
                let (validated, report) = try await services.connections.validate(key: key, caller: admin, deadline: .after(milliseconds: 30_000))
                try #require(validated.state == .validated, "\(report.checks.dump)")
                _ = try services.connections.completeSetup(key: key, caller: admin)
                _ = try await sync(key, in: services)
                var stored = try sources(key, in: services)
                #expect(stored["app.orders"]?.kind == .table && stored["app.orders"]?.governable == true, "\(stored)")
                #expect(stored["app.report"]?.kind == .view && stored["app.report"]?.governable == true, "\(stored)")

                // A superuser's table (default privileges give it the five privileges,
                // but ALTER needs ownership), and a covered owner's.
                try await fixture.admin(in: database,
                    "CREATE TABLE public.fresh (id int)",
                    "SET ROLE \(q(owner))", "CREATE TABLE app.later (id int)", "RESET ROLE")
                let (state, checks) = try await recheck(key, in: services)
                #expect(state == .active, "\(checks.dump)")
                let alter = checks[.alterTable]
                #expect(alter.status == .warning, "\(checks.dump)")
                #expect(alter.failingObjects == ["\(q(database)).\"public\".\"fresh\" (owned by \(q(try server.adminOverSocket().user))) [not governed yet]"], "\(alter.failingObjects)")
                #expect(alter.message.contains("not governed yet"), "\(alter.message)")
                #expect(alter.remediationSQL?.contains("ALTER TABLE \"public\".\"fresh\" OWNER TO \(q(fixture.role));") == true, "\(alter.remediationSQL ?? "")")
                #expect(checks.filter { $0.name != alter.name }.allSatisfy { $0.status == .passed }, "\(checks.dump)")

                let summary = try await sync(key, in: services)
                #expect(summary.added.count == 2, "\(summary)")
                stored = try sources(key, in: services)
                #expect(stored["public.fresh"]?.governable == false && stored["public.fresh"]?.kind == .table, "\(stored)")
                #expect(stored["app.later"]?.governable == true, "a covered owner's new table needs no step: \(stored)")

                // The fix the WARNING names, then a sync: governed.
                try await fixture.runRemediation(of: alter)
                let (fixedState, fixedChecks) = try await recheck(key, in: services)
                #expect(fixedState == .active)
                expectAllPassed(fixedChecks)
                let resync = try await sync(key, in: services)
                #expect(resync.updated.map { $0.hasSuffix(".public.fresh") } == [true], "\(resync)")
                #expect(try sources(key, in: services)["public.fresh"]?.governable == true)

                // A governed table loses a privilege: UNHEALTHY, naming it.
                try await fixture.admin(in: database,
                    "REVOKE \(q(owner)) FROM \(q(fixture.role))",
                    "REVOKE GRANT OPTION FOR TRUNCATE ON app.orders FROM \(q(fixture.role))")
                // A sync before the recheck cannot hide it: once governed, a data source stays governed.
                _ = try await sync(key, in: services)
                #expect(try sources(key, in: services)["app.orders"]?.governable == true)
                let (lostState, lostChecks) = try await recheck(key, in: services)
                #expect(lostState == .unhealthy, "\(lostChecks.dump)")
                #expect(lostChecks[.tablePrivileges].status == .failed)
                #expect(lostChecks[.tablePrivileges].failingObjects.contains("\(q(database)).\"app\".\"orders\" (table: TRUNCATE)"), "\(lostChecks.dump)")
            }
        }
    }
}

import Foundation
@testable import StewardCore
import StewardModel
import StewardStore
import StewardTestSupport
import Testing

/// When enforcement is triggered and what input it is given, over a real
/// SQLite registry; the PostgreSQL side is the RecordingEnforcer double.
@Suite("Enforcement scheduler: triggers, Enforce, revocation (SQLite store, recording enforcer)", .timeLimit(.minutes(2)))
final class EnforcementSchedulerTests {
    let directory: String
    let state: StateDirectory
    let enforcer = RecordingEnforcer()
    let scheduler: EnforcementScheduler
    let appAdmin = Caller(uid: 4001, userName: "appadmin", permissions: [.applicationAdmin], isKnown: true)
    let plain = Caller(uid: 4002, userName: "plain", permissions: [], isKnown: true)

    var store: any RegistryStore { state.store }
    static let method = "/steward.v1.Policies/Enforce"

    init() throws {
        directory = NSTemporaryDirectory() + "steward-enforcement-\(UUID().uuidString)"
        state = try StateDirectory.open(at: directory)
        scheduler = EnforcementScheduler(store: state.store, enforcer: enforcer, daemonUID: 990_002, auditMethod: Self.method)
        for (index, name) in ["alice", "bob", "carol"].enumerated() {
            try store.createUser(name: name, uid: UInt32(5000 + index), permissions: [])
        }
        try connection("wh", .active)
        try connection("other", .active)
        try connection("fresh", .validated)
        try store.createGroup(name: "analysts", osGroup: nil)
        try store.addGroupMembers(group: "analysts", users: ["alice", "bob"])
        try store.setMapping(IdentityMapping(userName: "carol", connectionKey: "wh", identity: .none))
        try store.createPolicy(
            PolicyDefinition(
                name: "sales-read", access: .read, selectors: [.scope(connection: "wh", database: "sales", schema: nil)],
                subjects: [.group("analysts"), .user("carol")]),
            dryRun: false)
    }

    deinit {
        state.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func connection(_ key: String, _ target: LifecycleState) throws {
        try store.createConnection(
            key: key, settings: ConnectionWalk.settings(key: key, governed: ["sales"]), password: Secret("pw-\(key)"), createdBy: 0,
            walkedTo: target)
        try store.syncDataSources(
            connectionKey: key, scannedDatabases: ["sales"],
            tables: [DiscoveredTable(database: "sales", schema: "public", table: "orders", columns: [ColumnRecord(name: "id", type: "bigint", position: 1)])])
    }

    func call(_ caller: Caller, _ key: String) -> AuditedCall {
        AuditedCall(caller: caller, method: Self.method, target: key, connectionKey: key)
    }

    @Test("A change to one connection enforces it in the background, with the desired state built from the registry")
    func connectionChange() async throws {
        await scheduler.desiredStateMoved(.connections(["wh"]))
        await scheduler.idle()
        let calls = enforcer.calls
        #expect(calls.map(\.connectionKey) == ["wh"])
        let input = try #require(calls.first?.input)
        #expect(!calls[0].dryRun && calls[0].password == "pw-wh")
        #expect(input.governed == [GovernedRelation(database: "sales", schema: "public", name: "orders")])
        #expect(input.desired.map { "\($0.role) \($0.access.rawValue) \($0.policies)" } == [
            "alice READ [\"sales-read\"]", "bob READ [\"sales-read\"]",
        ])
        // The daemon's run that changed grants is audited under its uid, naming the policy.
        let events = try store.listAuditEvents(AuditFilter(uid: 990_002), page: PageRequest()).items
        #expect(events.map(\.message) == ["automatic: 2 statements; 1 databases applied, 0 failed; policies: sales-read"])
    }

    @Test("A change to everything enforces every ACTIVE connection, and only those; triggers coalesce")
    func everyConnection() async {
        await scheduler.desiredStateMoved(.everyConnection)
        await scheduler.desiredStateMoved(.connections(["fresh", "wh"]))
        await scheduler.idle()
        #expect(Set(enforcer.calls.map(\.connectionKey)) == ["other", "wh"])
        #expect(enforcer.calls.filter { $0.connectionKey == "other" }.allSatisfy { $0.input.desired.isEmpty })
    }

    @Test("Enforce needs APPLICATION_ADMIN, is audited with the causing policies, and a dry run applies nothing")
    func enforceCall() async throws {
        let denied = await #expect(throws: DomainError.self) {
            _ = try await self.scheduler.enforce(key: "wh", dryRun: true, call: self.call(self.plain, "wh"), deadline: .after(milliseconds: 5_000))
        }
        #expect(denied?.code == .permissionDenied)
        #expect(enforcer.calls.isEmpty)

        let outcome = try await scheduler.enforce(key: "wh", dryRun: true, call: call(appAdmin, "wh"), deadline: .after(milliseconds: 5_000))
        #expect(outcome.report.dryRun && enforcer.calls.map(\.dryRun) == [true])
        #expect(outcome.unresolved == [UnresolvedSubscriber(userName: "carol", reason: .noIdentity, policies: ["sales-read"])])
        let events = try store.listAuditEvents(AuditFilter(method: Self.method), page: PageRequest()).items
        #expect(events.map(\.status) == [.ok, .permissionDenied])
        #expect(events.first?.message == "dry run: 2 statements planned; policies: sales-read")

        let notActive = await #expect(throws: DomainError.self) {
            _ = try await self.scheduler.enforce(key: "fresh", dryRun: false, call: self.call(self.appAdmin, "fresh"), deadline: .after(milliseconds: 5_000))
        }
        #expect(notActive?.code == .failedPrecondition)
    }

    @Test("Revoking everything hands over the governed tables with no desired grant, whatever the state")
    func revokeAll() async throws {
        let result = await scheduler.revokeAll(key: "fresh", deadline: .after(milliseconds: 5_000))
        let outcome = try result.get()
        #expect(outcome.statementCount == 0)
        let input = try #require(enforcer.calls.first?.input)
        #expect(input.desired.isEmpty && input.governed.count == 1)
    }

    @Test("Runs of one connection never overlap: Enforce calls and background runs take turns")
    func noInterleaving() async throws {
        let scheduler = self.scheduler
        let enforce = call(appAdmin, "wh")
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { _ = try? await scheduler.enforce(key: "wh", dryRun: true, call: enforce, deadline: .after(milliseconds: 10_000)) }
                group.addTask { await scheduler.desiredStateMoved(.connections(["wh"])) }
            }
        }
        await scheduler.idle()
        #expect(enforcer.calls.count >= 5)
        #expect(enforcer.mostConcurrentRunsOfOneConnection == 1)
    }

    @Test("Without an enforcer, Enforce answers FAILED_PRECONDITION and triggers do nothing")
    func notConfigured() async {
        let unconfigured = EnforcementScheduler(store: store, enforcer: nil, daemonUID: 990_002, auditMethod: Self.method)
        await unconfigured.desiredStateMoved(.everyConnection)
        await unconfigured.idle()
        let error = await #expect(throws: DomainError.self) {
            _ = try await unconfigured.enforce(key: "wh", dryRun: true, call: self.call(self.appAdmin, "wh"), deadline: .after(milliseconds: 5_000))
        }
        #expect(error == DomainError(.failedPrecondition, "enforcement not configured: this daemon has no PostgreSQL enforcer"))
        #expect(enforcer.calls.isEmpty)
    }
}

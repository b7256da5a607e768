import Foundation
import Logging
import StewardClient
import StewardCore
import StewardModel
import StewardPostgres
import StewardServer
import StewardStore
import StewardTestSupport
import StewardWire
import Testing

/// Which calls trigger enforcement, and what they answer, through the real
/// routes over a real socket and a real SQLite registry. The PostgreSQL side
/// is the RecordingEnforcer double, used only to see WHEN enforcement runs
/// and WHAT input it is given.
@Suite("Enforcement triggers through the daemon's routes (SQLite registry, recording enforcer)", .timeLimit(.minutes(2)))
struct EnforcementTriggerTests {
    struct Harness {
        let store: any RegistryStore
        let client: StewardClient
        let enforcer: RecordingEnforcer
        let scheduler: EnforcementScheduler

        /// The connections enforced by the calls since the last look, once
        /// the background runs they triggered have finished.
        func enforced(since count: inout Int) async -> [String] {
            await scheduler.idle()
            let calls = enforcer.calls
            defer { count = calls.count }
            return calls.dropFirst(count).map(\.connectionKey).sorted()
        }
    }

    func withHarness(_ body: (Harness) async throws -> Void) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = try StateDirectory.open(at: directory + "/state")
        defer { state.close() }
        let store = state.store
        for key in ["trig-a", "trig-b"] {
            try store.createConnection(
                key: key, settings: ConnectionWalk.settings(key: key, governed: ["sales"]), password: Secret("pw-\(key)"),
                createdBy: 0, walkedTo: .active)
            try store.syncDataSources(
                connectionKey: key, scannedDatabases: ["sales"],
                tables: [DiscoveredTable(database: "sales", schema: "public", table: "orders", columns: [ColumnRecord(name: "id", type: "bigint", position: 1)])])
        }
        try store.createUser(name: "alice", uid: 64_101, permissions: [])
        var logger = Logger(label: "enforcement-triggers")
        logger.logLevel = .critical
        let enforcer = RecordingEnforcer()
        let configuration = ServerConfiguration(socketPath: directory + "/steward.sock")
        let scheduler = RegistryServer.enforcementScheduler(
            store: store, enforcer: enforcer, metrics: configuration.metrics, logger: logger)
        let server = RegistryServer.make(
            configuration: configuration, store: store,
            executor: PostgresExecutor(maxConcurrentJobs: 1), enforcement: scheduler, logger: logger)
        try server.start()
        let client = try StewardClient.connect(socketPath: server.socketPath)
        do {
            try await body(Harness(store: store, client: client, enforcer: enforcer, scheduler: scheduler))
        } catch {
            client.close()
            await server.shutDown()
            throw error
        }
        client.close()
        await server.shutDown()
    }

    @Test("Policy, group, mapping, template and user changes enforce the connections they touch, with the new desired state")
    func changesTrigger() async throws {
        try await withHarness { h in
            var seen = 0
            let scope = StewardV1.DataSourceScope(connectionKey: "trig-a", database: "sales", schema: "")
            let policy = StewardV1.Policy(
                name: "p", access: .read, scopes: [scope], subjects: [.init(subject: .groupName("g"))])
            _ = try await h.client.call(StewardV1.Groups.create, .init(name: "g"))
            _ = try await h.client.call(StewardV1.Policies.create, .init(policy: policy))
            #expect(await h.enforced(since: &seen) == ["trig-a"], "a policy enforces the connections it names")
            #expect(h.enforcer.calls.last?.input.desired.isEmpty == true, "the group is still empty")

            _ = try await h.client.call(StewardV1.Groups.addMembers, .init(groupName: "g", userNames: ["alice"]))
            #expect(await h.enforced(since: &seen) == ["trig-a", "trig-b"], "a membership can move any connection")
            let desired = h.enforcer.calls.first { $0.connectionKey == "trig-a" && !$0.input.desired.isEmpty }?.input.desired
            #expect(desired?.map(\.role) == ["alice"] && desired?.first?.policies == ["p"])

            let mapping = StewardV1.Mapping(userName: "alice", connectionKey: "trig-a", identity: .init(kind: .postgresUsername, value: "alice_pg"))
            _ = try await h.client.call(StewardV1.Users.setMapping, .init(mapping: mapping))
            #expect(await h.enforced(since: &seen) == ["trig-a"], "a per-connection mapping enforces that connection")
            #expect(h.enforcer.calls.last?.input.desired.map(\.role) == ["alice_pg"])

            _ = try await h.client.call(StewardV1.Users.setIdentityTemplate, .init(template: "{name}_ro"))
            #expect(await h.enforced(since: &seen) == ["trig-a", "trig-b"])

            // A dry run changes nothing, and triggers nothing.
            var update = policy
            update.access = .write
            _ = try await h.client.call(StewardV1.Policies.update, .init(name: "p", policy: update, updatePaths: ["access"], dryRun: true))
            #expect(await h.enforced(since: &seen) == [])
            _ = try await h.client.call(StewardV1.Policies.update, .init(name: "p", policy: update, updatePaths: ["access"]))
            #expect(await h.enforced(since: &seen) == ["trig-a"])
            #expect(h.enforcer.calls.last?.input.desired.map(\.access) == [.write])

            // A refused change triggers nothing.
            await #expect(throws: RPCError.self) {
                _ = try await h.client.call(StewardV1.Groups.addMembers, .init(groupName: "g", userNames: ["nobody"]))
            }
            #expect(await h.enforced(since: &seen) == [])

            _ = try await h.client.call(StewardV1.Policies.delete, .init(name: "p"))
            #expect(await h.enforced(since: &seen) == ["trig-a"])
            #expect(h.enforcer.calls.last?.input.desired.isEmpty == true, "the policy's grants go")

            // Every background run is counted by outcome in the server's metrics.
            let text = try await h.client.call(StewardV1.Server.metrics, .init()).text
            let runs = text.split(separator: "\n").filter { $0.hasPrefix("steward_enforcement_runs_total{") }
            #expect(runs.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +) == h.enforcer.calls.count, "\(text)")
            #expect(!runs.contains { $0.contains(#"outcome="error""#) })
            // …and timed: one duration observation per run.
            let timed = text.split(separator: "\n").filter { $0.hasPrefix("steward_enforcement_duration_seconds_count{") }
            #expect(timed.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +) == h.enforcer.calls.count, "\(text)")
        }
    }

    @Test("Enforce returns the plan; Deactivate revokes every grant once the connection is INACTIVE and says so")
    func enforceAndDeactivate() async throws {
        try await withHarness { h in
            var seen = 0
            let policy = StewardV1.Policy(
                name: "p", access: .read, scopes: [.init(connectionKey: "trig-b", database: "", schema: "")],
                subjects: [.init(subject: .userName("alice"))])
            _ = try await h.client.call(StewardV1.Policies.create, .init(policy: policy))
            _ = await h.enforced(since: &seen)

            let plan = try await h.client.call(StewardV1.Policies.enforce, .init(connectionKey: "trig-b", dryRun: true))
            #expect(plan.dryRun && plan.databases.map(\.database) == ["sales"])
            #expect(plan.databases.first?.statements.map(\.policies) == [["p"]])
            #expect(h.enforcer.calls.last?.dryRun == true)

            let deactivated = try await h.client.call(StewardV1.Connections.deactivate, .init(key: "trig-b"))
            #expect(deactivated.connection?.state == .inactive)
            #expect(deactivated.revocationFailure == "")
            #expect(deactivated.revocation?.dryRun == false)
            let revoke = try #require(h.enforcer.calls.last)
            #expect(revoke.connectionKey == "trig-b" && revoke.input.desired.isEmpty && !revoke.input.governed.isEmpty)
            _ = await h.enforced(since: &seen)

            // INACTIVE: changes no longer enforce it; Enforce refuses it.
            _ = try await h.client.call(StewardV1.Users.setIdentityTemplate, .init(template: "{name}_x"))
            #expect(await h.enforced(since: &seen) == ["trig-a"])
            await #expect(throws: RPCError.self) {
                _ = try await h.client.call(StewardV1.Policies.enforce, .init(connectionKey: "trig-b", dryRun: true))
            }
            let deleted = try await h.client.call(StewardV1.Connections.delete, .init(key: "trig-b"))
            #expect(deleted.revocationFailure == "" && deleted.revocation != nil)
        }
    }
}

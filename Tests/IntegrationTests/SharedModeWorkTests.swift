import Foundation
import PostgresTestSupport
import StewardModel
import StewardPostgres
import StewardStore
import StewardTestSupport
import Testing

/// Shared mode divides the work (issue 13, item 9): three real stewardd
/// processes on one registry in PostgreSQL 17. Rechecks of each connection
/// run on one daemon, a daemon killed with SIGKILL hands its connections
/// over, and a sync holds the connection against every other daemon's
/// until it has stored (or died). The slow sync is a real sync of a real
/// private PostgreSQL 17 cluster stopped with SIGSTOP.
@Suite("Shared mode: three daemons divide the work", .serialized, .timeLimit(.minutes(5)))
struct SharedModeWorkTests {
    typealias SharedRegistry = SharedModeTests.SharedRegistry

    /// Starts `count` daemons on `registry`, each with its own state
    /// directory under `directory` and a copy of the registry's key.
    static func daemons(
        _ count: Int, on registry: SharedRegistry, in directory: String, recheckSeconds: Int
    ) async throws -> [DaemonProcess] {
        var daemons: [DaemonProcess] = []
        for index in 0..<count {
            if index > 0 { try copyKey(in: directory, to: "d\(index)") }
            daemons.append(
                try await DaemonProcess.start(
                    socketPath: "\(directory)/d\(index)/run/steward.sock",
                    arguments: [
                        "--state-dir", "\(directory)/d\(index)/state", "--store-url", registry.url,
                        "--recheck-interval-s", "\(recheckSeconds)",
                    ],
                    environment: registry.environment))
        }
        return daemons
    }

    static func copyKey(in directory: String, to name: String) throws {
        try FileManager.default.createDirectory(atPath: "\(directory)/\(name)/state", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: "\(directory)/d0/state/registry.key", toPath: "\(directory)/\(name)/state/registry.key")
    }

    /// The registry as the test's own store (a fourth state directory with
    /// the key), for setting connections up directly.
    static func testStore(on registry: SharedRegistry, in directory: String) throws -> StateDirectory {
        try copyKey(in: directory, to: "test")
        let admin = try registry.server.adminOverTCP(database: registry.name)
        let password = try registry.server.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return try StateDirectory.open(
            at: "\(directory)/test/state",
            sharedRegistry: "postgresql://\(admin.user):\(password)@\(admin.host):\(admin.port)/\(registry.name)?sslmode=disable")
    }

    /// Runs `sql` on the registry as its administrator.
    static func registrySQL(_ registry: SharedRegistry, _ sql: String, _ parameters: [String?] = []) async throws -> QueryResult {
        let name = registry.name
        return try await withAdmin(registry.server, database: name) { connection in try connection.run(sql, parameters) }
    }

    /// Every validation report's connection key and time (µs), oldest first.
    static func reports(_ registry: SharedRegistry) async throws -> [(key: String, at: Int)] {
        try await registrySQL(
            registry,
            """
            SELECT c.key, r.at FROM steward_registry.validation_reports AS r
            JOIN steward_registry.connections AS c ON c.id = r.connection_id ORDER BY r.at
            """
        ).rows.map { (try $0.string("key"), try $0.int("at")) }
    }

    /// How many recheck leases each daemon's lease session holds, by pid.
    static func recheckLeases(_ registry: SharedRegistry) async throws -> [Int32: Int] {
        let rows = try await registrySQL(
            registry,
            """
            SELECT a.application_name AS holder, count(*) AS n FROM pg_catalog.pg_locks AS l
            JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 1398036306 AND a.application_name LIKE 'stewardd leases %'
            GROUP BY a.application_name
            """
        ).rows
        var held: [Int32: Int] = [:]
        for row in rows {
            if let pid = Int32(try row.string("holder").split(separator: " ").last ?? "") { held[pid] = try row.int("n") }
        }
        return held
    }

    @Test("Each connection is rechecked by one daemon, not three; a killed daemon's connections are rechecked by another within an interval")
    func rechecksDivided() async throws {
        let interval = 4
        let connections = 6
        let registry = try await SharedRegistry.create()
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            // The first daemon makes the schema and the key; rechecks come later.
            var daemons = try await Self.daemons(1, on: registry, in: directory, recheckSeconds: interval)
            let state = try Self.testStore(on: registry, in: directory)
            for index in 0..<connections {
                var settings = ConnectionWalk.settings(key: "r\(index)", governed: ["sales"])
                // Nothing listens on port 1: a recheck fails at once (UNHEALTHY), and is stored.
                settings.host = "127.0.0.1"
                settings.port = 1
                try state.store.createConnection(
                    key: "r\(index)", settings: settings, password: Secret("pw"), createdBy: 0, walkedTo: .active)
            }
            state.close()
            daemons[0].signal(SIGTERM)
            _ = try await daemons[0].waitForExit()
            daemons = try await Self.daemons(3, on: registry, in: directory, recheckSeconds: interval)

            // Three intervals of rechecks. One daemon makes one recheck per
            // connection per interval; three that did not divide the work made three.
            let windowSeconds = 3 * interval
            try await Task.sleep(for: .seconds(windowSeconds))  // the measured window, not a synchronisation
            let made = try await Self.reports(registry)
            let oneDaemon = connections * (windowSeconds / interval + 1)
            #expect(made.count <= oneDaemon, "\(made.count) rechecks where one daemon makes at most \(oneDaemon)")
            #expect(Set(made.map(\.key)).count == connections, "every connection was rechecked: \(made.map(\.key))")

            // Kill -9 the daemon holding the most connections' rechecks.
            let held = try await Self.recheckLeases(registry)
            let (victimPID, victimHeld) = try #require(held.max { $0.value < $1.value })
            #expect(held.values.reduce(0, +) == connections, "each connection's rechecks are held once: \(held)")
            let victim = try #require(daemons.first { $0.pid == victimPID })
            let killedAt = Int(Date().timeIntervalSince1970 * 1_000_000)
            victim.signal(SIGKILL)
            _ = try await victim.waitForExit()

            // Within an interval (and the quarter-interval round that takes
            // them over), every connection, the victim's too, is rechecked again.
            let bound = Int(Double(interval) * 1.25 * 1_000_000) + 2_000_000
            try await Task.sleep(for: .microseconds(bound))  // the bound under test
            let after = try await Self.reports(registry).filter { $0.at > killedAt }
            #expect(Set(after.map(\.key)).count == connections, "rechecked after the kill: \(after.map(\.key)); the victim held \(victimHeld)")
            let survivors = try await Self.recheckLeases(registry)
            #expect(survivors[victimPID] == nil)
            #expect(survivors.values.reduce(0, +) == connections, "\(survivors)")
            for daemon in daemons where daemon.pid != victimPID { daemon.signal(SIGTERM) }
            for daemon in daemons where daemon.pid != victimPID { _ = try await daemon.waitForExit() }
        } catch {
            try? await registry.drop()
            throw error
        }
        try await registry.drop()
    }

    @Test("Two syncs of one connection on two daemons never both store; a daemon killed mid-sync hands the connection over")
    func syncsExclusive() async throws {
        let registry = try await SharedRegistry.create()
        let cluster = try await offThePool { try PrivateCluster.start() }
        defer { cluster.destroy() }
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let stateAdmin = try cluster.admin()
            let governed = {
                var governed = stateAdmin
                governed.database = "gov"
                return governed
            }()
            _ = try await offThePool {
                try PostgresConnection.open(stateAdmin).run("CREATE DATABASE gov")
                let admin = try PostgresConnection.open(governed)
                defer { admin.close() }
                try admin.run("CREATE TABLE public.orders (id bigint)")
                try admin.run("CREATE TABLE public.invoices (id bigint)")
            }
            let daemons = try await Self.daemons(3, on: registry, in: directory, recheckSeconds: 0)
            let state = try Self.testStore(on: registry, in: directory)
            let settings = ConnectionSettings(
                displayName: "slow", deploymentType: .selfManaged, host: "127.0.0.1", port: cluster.port,
                stateDatabase: stateAdmin.database, governedDatabases: [governed.database], username: governed.user,
                sslMode: .disable)
            try state.store.createConnection(
                key: "slow", settings: settings, password: Secret(governed.password ?? ""), createdBy: 0, walkedTo: .active)
            state.close()
            func sync(_ daemon: DaemonProcess) async throws -> CommandResult {
                try await runCommand(Executables.steward, ["connection", "sync", "slow", "--socket", daemon.socketPath])
            }
            /// Waits until daemon `pid` holds a work lease (its sync has begun).
            func waitForWorkLease(of pid: Int32) async throws {
                let giveUp = Date().addingTimeInterval(20)
                while Date() < giveUp {
                    let rows = try await Self.registrySQL(
                        registry,
                        """
                        SELECT 1 FROM pg_catalog.pg_locks AS l JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
                        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 1398036311 AND a.application_name = $1
                        """, ["stewardd leases \(pid)"]).rows
                    if !rows.isEmpty { return }
                    try await Task.sleep(for: .milliseconds(50))
                }
                Issue.record("daemon \(pid) never took the connection's work lease")
            }
            let (first, second, third) = (daemons[0], daemons[1], daemons[2])

            // 1. The governed server stops answering while the first daemon
            // syncs; the second daemon's sync of the same connection is
            // refused rather than run beside it; the first stores once the
            // server answers again.
            try cluster.freeze()
            async let stuck = sync(first)
            try await waitForWorkLease(of: first.pid)
            let refused = try await sync(second)
            #expect(refused.status != 0)
            #expect(refused.standardError.contains("being synced or rechecked by another daemon"), "\(refused.standardError)")
            try cluster.thaw()
            let stored = try await stuck
            #expect(stored.status == 0, "\(stored.standardError)")

            // 2. Again, and the first daemon is killed mid-sync: its lease
            // goes with it, and another daemon syncs.
            try await offThePool { try PostgresConnection.open(governed).run("CREATE TABLE public.refunds (id bigint)") }
            try cluster.freeze()
            async let killed = sync(first)
            try await waitForWorkLease(of: first.pid)
            first.signal(SIGKILL)
            _ = try await first.waitForExit()
            #expect(try await killed.status != 0)
            try cluster.thaw()
            let takenOver = try await sync(third)
            #expect(takenOver.status == 0, "\(takenOver.standardError)")

            // The audit trail: of the overlapping syncs exactly one stored;
            // the killed daemon's was never recorded, and the data sources
            // are what the last sync found.
            let audited = try await Self.registrySQL(
                registry,
                "SELECT status_code FROM steward_registry.audit_events WHERE method LIKE '%Connections/Sync' AND target = 'slow' ORDER BY id"
            ).rows.map { try $0.int("status_code") }
            #expect(audited == [10, 0, 0], "ABORTED, then the first daemon's, then the third's: \(audited)")
            let sources = try await Self.registrySQL(
                registry,
                "SELECT name FROM steward_registry.data_sources WHERE state = 'ENABLED' ORDER BY name"
            ).rows.map { try $0.string("name") }
            let prefix = "slow.\(governed.database).public."
            #expect(sources == ["invoices", "orders", "refunds"].map { prefix + $0 }, "\(sources)")
            for daemon in [second, third] { daemon.signal(SIGTERM) }
            for daemon in [second, third] { _ = try await daemon.waitForExit() }
        } catch {
            try? await registry.drop()
            throw error
        }
        try await registry.drop()
    }
}

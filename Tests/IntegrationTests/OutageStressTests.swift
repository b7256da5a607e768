import Foundation
import PostgresTestSupport
import StewardPostgres
import StewardModel
import StewardWire
import Testing

/// Outages again and again (issue 13, item 11): a daemon once died a few
/// seconds after its registry came back, in libdispatch. Each test freezes a
/// PostgreSQL cluster of its own (SIGSTOP, never the shared servers) fifty
/// times while calls with deadlines are in flight and clients hang up, then
/// thaws it, and asks that every call ended by its deadline, that the daemon
/// recovered each time without a restart, and that it is alive and serving
/// at the end.
@Suite("Outages, fifty times over", .serialized, .timeLimit(.minutes(12)))
struct OutageStressTests {
    static let outages = 50
    /// The deadline of the calls made during an outage.
    static let callDeadlineMilliseconds: UInt32 = 300
    /// How late past its deadline an answer may come on a loaded two-core
    /// machine; the old failure was a call held for the whole outage.
    static let answerSlackMilliseconds = 2_500.0

    @Test("A frozen registry: calls end by their deadlines, Health says NOT_SERVING, and the daemon recovers each time")
    func registryOutages() async throws {
        let (cluster, directory, daemon) = try await Self.registryDaemon()
        defer { cluster.destroy(); try? FileManager.default.removeItem(atPath: directory) }
        let client = TimedCaller(try RawConnection(path: daemon.socketPath))
        #expect(try await client.healthOfRegistry() == .serving)

        for round in 1...Self.outages {
            // Calls reach the daemon just before the freeze, so some are in
            // the middle of a statement when the registry stops.
            let inFlight = try await client.send(count: 4, StewardV1.Connections.list, .init(), timeout: Self.callDeadlineMilliseconds)
            try cluster.freeze()
            // A client that hangs up during the outage, its call unanswered.
            try await Self.callAndHangUp(daemon.socketPath, Frames.request(1, StewardV1.Connections.list, .init(), timeoutMilliseconds: 200))
            let during = try await client.send(count: 4, StewardV1.Connections.list, .init(), timeout: Self.callDeadlineMilliseconds)
            for answer in try await client.answers(to: inFlight + during) {
                #expect([.ok, .deadlineExceeded, .unavailable].contains(answer.code), "round \(round): \(answer)")
                #expect(answer.elapsedMilliseconds < Double(Self.callDeadlineMilliseconds) + Self.answerSlackMilliseconds,
                        "round \(round): \(answer)")
            }
            // Health reports the registry while it is down (the probe asks every second).
            let down = try await client.pollHealthOfRegistry(until: .notServing, withinMilliseconds: 15_000)
            #expect(down, "round \(round): Health never said the frozen registry was NOT_SERVING")
            try cluster.thaw()
            // Recovery needs no restart: a call succeeds again, and Health says so.
            let served = try await client.pollUntilOK(StewardV1.Connections.list, .init(), withinMilliseconds: 30_000)
            #expect(served, "round \(round): no call succeeded after the registry came back")
            let up = try await client.pollHealthOfRegistry(until: .serving, withinMilliseconds: 15_000)
            #expect(up, "round \(round): Health did not say SERVING after the registry came back")
            guard down, served, up, kill(daemon.pid, 0) == 0 else { break }
        }
        #expect(kill(daemon.pid, 0) == 0, "the daemon died: \(daemon.stderrText)")
        #expect(try await client.pollUntilOK(StewardV1.Connections.list, .init(), withinMilliseconds: 10_000))
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0, "\(daemon.stderrText)")
        #expect(!daemon.stderrText.contains("Fatal error"), "\(daemon.stderrText)")
    }

    /// The store's own bounds: 30 s for a statement (or a wait for a free
    /// registry session) and 10 s for a reconnect; the old failure was a
    /// call held for as long as the registry stayed frozen.
    static let daemonBoundMilliseconds = 30_000.0 + 10_000.0

    @Test("A frozen registry: calls without a deadline, more than the daemon's registry sessions, end by the daemon's own bound")
    func registryOutageWithoutDeadlines() async throws {
        let (cluster, directory, daemon) = try await Self.registryDaemon()
        defer { cluster.destroy(); try? FileManager.default.removeItem(atPath: directory) }
        let client = TimedCaller(try RawConnection(path: daemon.socketPath))
        #expect(try await client.pollUntilOK(StewardV1.Connections.list, .init(), withinMilliseconds: 10_000))
        try cluster.freeze()
        // Twelve calls with no deadline (0): three for each read session,
        // so most wait for a session held by a stuck statement.
        let stuck = try await client.send(count: 12, StewardV1.Connections.list, .init(), timeout: 0)
        let answers = try await client.answers(to: stuck)
        try cluster.thaw()
        for answer in answers {
            #expect(answer.code != .ok, "\(answer)")
            #expect(answer.elapsedMilliseconds < Self.daemonBoundMilliseconds + Self.answerSlackMilliseconds, "\(answer)")
        }
        #expect(try await client.pollUntilOK(StewardV1.Connections.list, .init(), withinMilliseconds: 30_000))
        #expect(try await client.pollHealthOfRegistry(until: .serving, withinMilliseconds: 15_000))
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0, "\(daemon.stderrText)")
    }

    @Test("A frozen governed server: validations end by their deadlines, and validate again once it is back")
    func governedOutages() async throws {
        let (cluster, directory, daemon) = try await Self.governingDaemon()
        defer { cluster.destroy(); try? FileManager.default.removeItem(atPath: directory) }
        try await Self.register("frozen", on: try cluster.admin(), socket: daemon.socketPath)
        let client = TimedCaller(try RawConnection(path: daemon.socketPath))
        let validate = StewardV1.ValidateConnectionRequest(key: "frozen")
        #expect(try await client.pollUntilOK(StewardV1.Connections.validate, validate, withinMilliseconds: 30_000))

        for round in 1...Self.outages {
            // Some validations are connected and querying when the server
            // stops; the rest find it frozen.
            let inFlight = try await client.send(count: 3, StewardV1.Connections.validate, validate, timeout: Self.callDeadlineMilliseconds)
            try cluster.freeze()
            try await Self.callAndHangUp(daemon.socketPath, Frames.request(1, StewardV1.Connections.validate, validate, timeoutMilliseconds: 200))
            let during = try await client.send(count: 3, StewardV1.Connections.validate, validate, timeout: Self.callDeadlineMilliseconds)
            for answer in try await client.answers(to: inFlight + during) {
                #expect(answer.elapsedMilliseconds < Double(Self.callDeadlineMilliseconds) + Self.answerSlackMilliseconds,
                        "round \(round): \(answer)")
            }
            try cluster.thaw()
            let validated = try await client.pollUntilOK(StewardV1.Connections.validate, validate, withinMilliseconds: 30_000)
            #expect(validated, "round \(round): no validation succeeded after the server came back")
            guard validated, kill(daemon.pid, 0) == 0 else { break }
        }
        #expect(kill(daemon.pid, 0) == 0, "the daemon died: \(daemon.stderrText)")
        #expect(try await client.healthOfServer() == .serving)
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0, "\(daemon.stderrText)")
    }
}

extension OutageStressTests {
    /// A private cluster to freeze, and a daemon (no rechecks) in a new
    /// directory whose shared registry is in it; the caller destroys both.
    static func registryDaemon() async throws -> (PrivateCluster, String, DaemonProcess) {
        let cluster = try await offThePool { try PrivateCluster.start() }
        do {
            let directory = try makeTemporaryDirectory()
            let admin = try cluster.admin()
            let daemon = try await DaemonProcess.start(
                socketPath: directory + "/run/steward.sock",
                arguments: [
                    "--store-url", "postgresql://\(admin.user)@127.0.0.1:\(cluster.port)/postgres?sslmode=disable",
                    "--recheck-interval-s", "0",
                ],
                environment: ["PGPASSWORD": try TestPostgres.pg17.password])
            return (cluster, directory, daemon)
        } catch {
            cluster.destroy()
            throw error
        }
    }

    /// A private cluster to freeze, and a daemon (embedded store, no
    /// rechecks) in a new directory to govern it; the caller destroys both.
    static func governingDaemon() async throws -> (PrivateCluster, String, DaemonProcess) {
        let cluster = try await offThePool { try PrivateCluster.start() }
        do {
            let directory = try makeTemporaryDirectory()
            let daemon = try await DaemonProcess.start(
                socketPath: directory + "/run/steward.sock", arguments: ["--recheck-interval-s", "0"])
            return (cluster, directory, daemon)
        } catch {
            cluster.destroy()
            throw error
        }
    }

    /// Registers connection `key` for the server `admin` names, as its
    /// administrator, through the CLI (state in `admin`'s database,
    /// governing template1, which every cluster has).
    static func register(_ key: String, on admin: StewardPostgres.ConnectionParameters, socket: String) async throws {
        let registered = try await runCommand(
            Executables.steward,
            ["connection", "register", key, "--deployment", "SELF_MANAGED", "--host", admin.host,
             "--port", "\(admin.port)", "--ssl-mode", "disable", "--state-database", admin.database, "--database", "template1",
             "--username", admin.user, "--password-stdin", "--socket", socket],
            standardInput: (admin.password ?? "") + "\n")
        try #require(registered.status == 0, "\(registered.standardError)")
    }

    /// A client that sends a call and leaves (closes its socket) without the answer.
    static func callAndHangUp(_ socketPath: String, _ frame: StewardRpcV1.Frame) async throws {
        let leaver = try RawConnection(path: socketPath)
        try await leaver.send(frame)
        // The socket closes when `leaver` goes, here.
    }
}

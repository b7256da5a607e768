import Foundation
import PostgresTestSupport
import Testing

/// Server.Metrics and `steward server metrics`: the calls a real daemon
/// answered, counted by method and status, with latency histograms, in the
/// Prometheus text format; and the atomic textfile output.
@Suite("Metrics", .timeLimit(.minutes(2)))
struct MetricsTests {
    @Test func callsByMethodAndStatusWithLatencyHistogramsAndConnections() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/steward.sock")
        let socket = ["--socket", daemon.socketPath]
        for _ in 0..<2 { #expect(try await runCommand(Executables.steward, ["whoami"] + socket).status == 0) }
        // One governed connection, REGISTERED (names its database: nothing to reach).
        let register = try await registerWithoutDatabase("metrics-db", socket: socket)
        #expect(register.status == 0, "\(register.standardError)")
        #expect(try await runCommand(Executables.steward, ["health", "--service", "nope.Service"] + socket).status == 2)

        let result = try await runCommand(Executables.steward, ["server", "metrics"] + socket)
        #expect(result.status == 0, "\(result.standardError)")
        let lines = Set(result.standardOutput.split(separator: "\n").map(String.init))
        #expect(lines.contains("# TYPE steward_calls_total counter"), "\(result.standardOutput)")
        #expect(lines.contains(#"steward_calls_total{method="/steward.v1.Server/WhoAmI",code="OK"} 2"#))
        #expect(lines.contains(#"steward_calls_total{method="/grpc.health.v1.Health/Check",code="NOT_FOUND"} 1"#))
        #expect(lines.contains("# TYPE steward_call_duration_seconds histogram"))
        #expect(lines.contains(#"steward_call_duration_seconds_count{method="/steward.v1.Server/WhoAmI"} 2"#))
        #expect(lines.contains(#"steward_call_duration_seconds_bucket{method="/steward.v1.Server/WhoAmI",le="+Inf"} 2"#))
        // Four CLI runs before this one, and this one open now.
        #expect(lines.contains("steward_connections_accepted_total 5"))
        #expect(lines.contains(#"steward_governed_connections{state="REGISTERED"} 1.0"#))
        #expect(lines.contains(#"steward_governed_connections{state="ACTIVE"} 0.0"#))
        #expect(lines.contains("steward_connections_open 1.0"))
        // The Metrics call itself.
        #expect(lines.contains("steward_calls_in_flight 1.0"))

        let file = directory + "/textfile/steward.prom"
        try FileManager.default.createDirectory(atPath: directory + "/textfile", withIntermediateDirectories: true)
        let written = try await runCommand(Executables.steward, ["server", "metrics", "--output", file] + socket)
        #expect(written.status == 0, "\(written.standardError)")
        #expect(written.standardOutput.isEmpty)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains(#"steward_calls_total{method="/steward.v1.Server/Metrics",code="OK"} 1"#), "\(text)")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        #expect(mode == 0o644)
        // Nothing but the file itself is left in the collector's directory.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/textfile") == ["steward.prom"])

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    /// Validate calls counted by outcome: a real PostgreSQL 17 that refuses
    /// the login (a role that does not exist) gives a FAILED report; an
    /// unknown key gives no report, counted as `error`. A Sync of a
    /// connection that is not ACTIVE is refused: its duration counted as `error`.
    @Test func validationsByOutcomeAndSyncDurations() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/steward.sock")
        let socket = ["--socket", daemon.socketPath]
        let suffix = String(UInt32.random(in: 0...UInt32.max))
        let key = "metrics-validate-\(suffix)"
        let target = try TestPostgres.pg17.adminOverTCP()
        let register = try await runCommand(
            Executables.steward,
            ["connection", "register", key, "--deployment", "self-managed", "--host", target.host, "--port", String(target.port),
             "--state-database", "steward_state", "--database", "postgres", "--username", "no_such_role_\(suffix)",
             "--password-stdin"] + socket,
            standardInput: "wrong\n")
        #expect(register.status == 0, "\(register.standardError)")
        #expect(try await runCommand(Executables.steward, ["connection", "validate", key] + socket).status == 2)
        #expect(try await runCommand(Executables.steward, ["connection", "validate", "no-such-\(suffix)"] + socket).status != 0)
        #expect(try await runCommand(Executables.steward, ["connection", "sync", key] + socket).status != 0)

        let result = try await runCommand(Executables.steward, ["server", "metrics"] + socket)
        #expect(result.status == 0, "\(result.standardError)")
        let lines = Set(result.standardOutput.split(separator: "\n").map(String.init))
        #expect(lines.contains("# TYPE steward_validations_total counter"), "\(result.standardOutput)")
        #expect(lines.contains(#"steward_validations_total{outcome="FAILED"} 1"#))
        #expect(lines.contains(#"steward_validations_total{outcome="error"} 1"#))
        #expect(!lines.contains { $0.hasPrefix(#"steward_validations_total{outcome="PASSED"}"#) })
        #expect(lines.contains("# TYPE steward_sync_duration_seconds histogram"))
        #expect(lines.contains(#"steward_sync_duration_seconds_count{outcome="error"} 1"#))

        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }
}

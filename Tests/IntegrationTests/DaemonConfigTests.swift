import Foundation
import Testing

/// stewardd's config file and the one precedence of every setting (flag,
/// environment, file, default), by running the binary.
@Suite("stewardd config file", .timeLimit(.minutes(2)))
struct DaemonConfigTests {
    private func write(_ text: String, in directory: String, as name: String = "stewardd.toml") throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func eachSettingSaysWhereItCameFromFlagOverEnvironmentOverFileOverDefault() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try write("""
            # the team's daemon
            socket = "\(directory)/from-file.sock"
            max_connections = 50
            log_level = "debug"
            idle_timeout_ms = 60000
            store_url = "postgresql://steward:s3cret@db.example.com/registry"
            """, in: directory)
        let result = try await runCommand(
            Executables.stewardd, ["--config", config, "--print-config", "--log-level", "warning"],
            environment: ["STEWARD_MAX_CONNECTIONS": "70", "STEWARD_IDLE_TIMEOUT_MS": ""])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains("# config file: \(config)"))
        #expect(lines.contains("socket = \"\(directory)/from-file.sock\"  # \(config) line 2"))
        #expect(lines.contains("max_connections = 70  # environment STEWARD_MAX_CONNECTIONS"))
        #expect(lines.contains("log_level = \"warning\"  # flag --log-level"))
        // An empty variable counts as unset: the file's value stands.
        #expect(lines.contains("idle_timeout_ms = 60000  # \(config) line 5"))
        #expect(lines.contains("drain_grace_ms = 10000  # default"))
        #expect(lines.contains("store_url = \"postgresql://steward:[REDACTED]@db.example.com/registry\"  # \(config) line 6"))
        #expect(!result.standardOutput.contains("s3cret"))
    }

    @Test func theDaemonServesWithTheFilesSettings() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try write("max_connections = 42\nmax_calls_per_connection = 7\n", in: directory)
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock", arguments: ["--config", config])
        let info = try await runCommand(Executables.steward, ["server", "info", "--socket", daemon.socketPath])
        #expect(info.status == 0, "\(info.standardError)")
        #expect(info.standardOutput.contains("connections     42"), "\(info.standardOutput)")
        #expect(info.standardOutput.contains("calls/conn      7"))
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test(arguments: [
        ("socket = \"/x\"\n\n   sockett = \"/y\"\n", "line 3: unknown key \"sockett\"; the keys are system, state_dir"),
        ("[limits]\nmax = 3\n", "line 1: unknown key \"limits\""),
        ("max_connections = \"many\"\n", "line 1: max_connections must be a whole number"),
        ("max_connections = 0\n", "line 1: max_connections must be between 1 and 65536, not 0"),
        ("system = \"yes\"\n", "line 1: system must be true or false"),
        ("socket = \"unterminated\n", "line 1, column"),
    ])
    func aBadFileIsRefusedNamingTheKeyAndLine(text: String, message: String) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try write(text, in: directory)
        let result = try await runCommand(
            Executables.stewardd, ["--config", config, "--socket", directory + "/s.sock", "--state-dir", directory + "/state"])
        #expect(result.status == 64, "\(result.standardError)")
        #expect(result.standardError.contains(config + " " + message), "\(result.standardError)")
        // Refused before anything was made.
        #expect(!FileManager.default.fileExists(atPath: directory + "/state"))
    }

    @Test func aMissingConfigFileNamedExplicitlyIsAnError() async throws {
        let result = try await runCommand(Executables.stewardd, ["--print-config"], environment: ["STEWARD_CONFIG": "/nonexistent/stewardd.toml"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("cannot read the config file /nonexistent/stewardd.toml"), "\(result.standardError)")
    }
}

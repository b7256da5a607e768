import Foundation
import Testing

/// The `steward` executable against a real `stewardd`.
@Suite("steward CLI", .timeLimit(.minutes(2)))
struct CLITests {
    @Test("health, server info, server stats and whoami print and exit 0")
    func readCommands() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/steward.sock")
        let socket = ["--socket", daemon.socketPath]

        let health = try await runCommand(Executables.steward, ["health"] + socket)
        #expect(health.status == 0)
        #expect(health.standardOutput == "SERVING\n")

        let info = try await runCommand(Executables.steward, ["server", "info"] + socket)
        #expect(info.status == 0)
        #expect(info.standardOutput.contains("socket            \(daemon.socketPath)"))

        let stats = try await runCommand(Executables.steward, ["server", "stats", "--json"] + socket)
        #expect(stats.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(stats.standardOutput.utf8)) as? [String: Any])
        let methods = try #require(json["methods"] as? [[String: Any]])
        #expect(methods.contains { $0["method"] as? String == "/grpc.health.v1.Health/Check" })

        let whoami = try await runCommand(Executables.steward, ["whoami"] + socket)
        #expect(whoami.status == 0)
        #expect(whoami.standardOutput.hasPrefix("uid \(getuid())"))
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("The socket is found through STEWARD_SOCKET and through STEWARD_STATE_DIR")
    func socketFromEnvironment() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let viaSocket = try await runCommand(Executables.steward, ["health"], environment: ["STEWARD_SOCKET": daemon.socketPath])
        #expect(viaSocket.status == 0)
        let viaStateDir = try await runCommand(Executables.steward, ["health"], environment: ["STEWARD_STATE_DIR": directory])
        #expect(viaStateDir.status == 0)
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("No daemon: exit 4 with a message that says where it looked")
    func noDaemon() async throws {
        let result = try await runCommand(Executables.steward, ["health", "--socket", "/tmp/stw-none/steward.sock"])
        #expect(result.status == 4)
        #expect(result.standardError.contains("UNAVAILABLE: cannot reach stewardd at /tmp/stw-none/steward.sock"))
    }

    @Test("An unknown service: exit 2 (NOT_FOUND)")
    func unknownService() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/steward.sock")
        let result = try await runCommand(Executables.steward, ["health", "--service", "nope.Service", "--socket", daemon.socketPath])
        #expect(result.status == 2)
        #expect(result.standardError.contains("NOT_FOUND"))
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    @Test("A wrong command line: exit 64 with usage")
    func usage() async throws {
        let result = try await runCommand(Executables.steward, ["health", "--timeout", "-1"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("--timeout"))
    }

    @Test("stewardd --help documents its flags and their environment variables")
    func daemonHelp() async throws {
        let result = try await runCommand(Executables.stewardd, ["--help"])
        #expect(result.status == 0)
        for flag in [
            "--socket", "STEWARD_SOCKET", "--state-dir", "STEWARD_STATE_DIR", "--idle-timeout-ms", "--max-frame-bytes",
            "--recheck-interval-s", "STEWARD_RECHECK_INTERVAL_S",
        ] {
            #expect(result.standardOutput.contains(flag), "missing \(flag)")
        }
    }

    @Test("stewardd refuses a recheck interval out of range, naming the flag")
    func recheckIntervalRange() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await runCommand(
            Executables.stewardd, ["--state-dir", directory, "--recheck-interval-s=700000"])
        #expect(result.status == 64)
        #expect(result.standardError.contains("--recheck-interval-s must be between 0 and 604800, not 700000"), "\(result.standardError)")
    }
}

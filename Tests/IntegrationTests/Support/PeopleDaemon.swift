import Foundation
import Testing

/// gRPC status codes as the audit trail's `code` holds them.
enum StatusNumber {
    static let ok = 0
    static let permissionDenied = 7
    static let unauthenticated = 16
}

/// A fresh stewardd with its own state directory whose socket every test
/// OS user can reach (through the shared group), and the CLI pointed at it.
struct PeopleDaemon {
    let daemon: DaemonProcess
    let directory: String

    static func start() async throws -> PeopleDaemon {
        let directory = try makeTemporaryDirectory()
        chmod(directory, 0o755)  // the other users must be able to reach run/ (and read the CSV files)
        do {
            let daemon = try await DaemonProcess.start(
                socketPath: directory + "/run/steward.sock", arguments: ["--socket-group", OSUsers.group])
            return PeopleDaemon(daemon: daemon, directory: directory)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    func removeDirectory() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `steward ARGUMENTS --socket …`, as root or as `user`.
    func run(_ arguments: [String], as user: String? = nil, standardInput: String? = nil) async throws -> CommandResult {
        try await runCommand(
            Executables.steward, arguments + ["--socket", daemon.socketPath], asUser: user, standardInput: standardInput)
    }

    /// Runs with `--json`, requires exit 0, and parses the answer.
    func json(_ arguments: [String], as user: String? = nil) async throws -> [String: Any] {
        let result = try await run(arguments + ["--json"], as: user)
        try #require(result.status == 0, "steward \(arguments.joined(separator: " ")) exited \(result.status): \(result.standardError)")
        return try parseJSON(result)
    }

    /// Registers a connection that names its governed database, so that no
    /// server is contacted.
    func register(_ key: String, as user: String? = nil) async throws -> CommandResult {
        try await run(
            ["connection", "register", key, "--deployment", "SELF_MANAGED", "--host", "db.example.com",
             "--state-database", "steward_state", "--database", "sales", "--username", "steward", "--password-stdin"],
            as: user, standardInput: "s3cret\n")
    }

    func stop() async throws {
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0, "\(daemon.stderrText)")
    }
}

func parseJSON(_ result: CommandResult) throws -> [String: Any] {
    try #require(
        try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any],
        "not a JSON object: \(result.standardOutput)")
}

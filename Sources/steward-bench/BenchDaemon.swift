import Foundation
import Glibc
import StewardModel
import StewardStore
import StewardWire

/// A stewardd process of its own (the second process of a two-process
/// measurement), on a fresh state directory seeded with a user for this
/// uid and one connection, so that Users.Get and Connections.Get find them.
final class BenchDaemon {
    let directory: String
    let process: Process
    var socketPath: String { directory + "/steward.sock" }
    /// What the seed put in the registry.
    static let userName = "bench"
    static let connectionKey = "bench"

    init(executable: String) throws {
        var template = Array("/tmp/stw-load-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw SystemCallError("mkdtemp", errno: errno) }
        directory = String(cString: created)
        try Self.seed(stateDirectory: directory + "/state")
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--state-dir", directory + "/state", "--socket", directory + "/steward.sock",
            "--log-level", "error", "--recheck-interval-s", "0",
        ]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try waitUntilServing()
    }

    /// The seed, written through the store before the daemon opens it.
    private static func seed(stateDirectory: String) throws {
        let state = try StateDirectory.open(at: stateDirectory)
        defer { state.close() }
        try state.store.createUser(name: userName, uid: getuid(), permissions: Set(Permission.allCases))
        let settings = ConnectionSettings(
            displayName: "bench", deploymentType: .selfManaged, host: "db.bench.invalid", port: 5432,
            stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward_role",
            sslMode: .prefer, caCertificate: nil)
        try state.store.createConnection(key: connectionKey, settings: settings, password: Secret("bench-pw"), createdBy: getuid())
    }

    /// Polls until the socket answers a Health.Check; waits at most ten seconds.
    private func waitUntilServing() throws {
        let health = LoadCall.fixed("Health.Check", GrpcHealthV1.Health.check.path, GrpcHealthV1.HealthCheckRequest())
        for _ in 0..<1000 {
            guard process.isRunning else { throw BenchFailure("stewardd exited with status \(process.terminationStatus)") }
            if (try? LoadClient.pingLatency(socketPath: socketPath, call: health, calls: 1)) != nil { return }
            usleep(10_000)
        }
        throw BenchFailure("stewardd did not answer on \(socketPath) within 10 s")
    }

    /// The daemon's CPU time so far, in seconds (user + system, from /proc).
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command name; utime and stime are the 14th and 15th of the line.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// SIGTERM, then waits for the drain; removes the directory.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

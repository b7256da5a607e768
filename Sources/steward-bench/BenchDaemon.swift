import Foundation
import Glibc
import StewardModel
import StewardStore
import StewardWire

/// A stewardd process of its own (the second process of a two-process
/// measurement): its own state directory and socket, its log in the
/// directory, no rechecks, stopped with SIGTERM and then removed.
final class BenchDaemon: @unchecked Sendable {
    let directory: String
    let process: Process
    var socketPath: String { directory + "/steward.sock" }
    /// What ``seeded`` puts in an embedded registry.
    static let userName = "bench"
    static let connectionKey = "bench"

    /// The stewardd built beside this bench.
    static var besideThisBench: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("stewardd").path
    }

    static func temporaryDirectory() throws -> String {
        var template = Array("/tmp/stw-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw SystemCallError("mkdtemp", errno: errno) }
        return String(cString: created)
    }

    /// Starts `executable` in `directory` (a new temporary one by default)
    /// on the shared registry `storeURL`, or else embedded; `seeded` first
    /// writes a user for this uid and one connection into the embedded
    /// registry, so that Users.Get and Connections.Get find them. Waits (at
    /// most 60 s) until it answers Health.Check.
    init(
        executable: String = BenchDaemon.besideThisBench, in directory: String? = nil, storeURL: String? = nil,
        environment: [String: String] = [:], seeded: Bool = false
    ) throws {
        self.directory = try directory ?? Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: self.directory + "/state", withIntermediateDirectories: true)
        if seeded { try Self.seed(stateDirectory: self.directory + "/state") }
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--state-dir", self.directory + "/state", "--socket", self.directory + "/steward.sock",
            "--log-level", "error", "--recheck-interval-s", "0",
        ] + (storeURL.map { ["--store-url", $0] } ?? [])
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let logPath = self.directory + "/stewardd.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
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

    /// Polls until the socket answers a Health.Check (a bench may wait this way).
    private func waitUntilServing() throws {
        let health = LoadCall.fixed("Health.Check", GrpcHealthV1.Health.check.path, GrpcHealthV1.HealthCheckRequest())
        for _ in 0..<6000 {
            guard process.isRunning else {
                let text = (try? String(contentsOfFile: directory + "/stewardd.log", encoding: .utf8)) ?? ""
                throw BenchFailure("stewardd exited with status \(process.terminationStatus): \(text)")
            }
            if (try? LoadClient.pingLatency(socketPath: socketPath, call: health, calls: 1)) != nil { return }
            usleep(10_000)
        }
        stop()
        throw BenchFailure("stewardd did not answer on \(socketPath) within 60 s")
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

    /// Resident memory in KiB (VmRSS from /proc).
    var residentKilobytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// SIGTERM, then waits for the drain; SIGKILL if the daemon is still
    /// there after 30 s (a daemon that stopped answering must not outlive
    /// the bench); removes the directory.
    func stop() {
        if process.isRunning {
            process.terminate()
            let giveUp = Date().addingTimeInterval(30)
            while process.isRunning && Date() < giveUp { usleep(10_000) }
            if process.isRunning {
                print("stewardd (pid \(process.processIdentifier)) ignored SIGTERM for 30 s; killed")
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

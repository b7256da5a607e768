import Foundation
import StewardClient
import StewardWire

/// A real stewardd process (the one built beside this binary) for a bench:
/// its own state directory and socket, its log in the directory, stopped
/// with SIGTERM.
final class BenchDaemon: Sendable {
    let process: Process
    let socketPath: String

    private init(process: Process, socketPath: String) {
        self.process = process
        self.socketPath = socketPath
    }

    static func temporaryDirectory() throws -> String {
        var template = Array("/tmp/stw-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw SystemCallError("mkdtemp", errno: errno) }
        return String(cString: created)
    }

    /// Starts stewardd in `directory` (state in `state/`, socket
    /// `steward.sock`, log `stewardd.log`), on the shared registry
    /// `storeURL` or else embedded, without rechecks, and waits (at most
    /// 60 s) until it answers Health.Check.
    static func start(in directory: String, storeURL: String?, environment: [String: String]) async throws -> BenchDaemon {
        try FileManager.default.createDirectory(atPath: directory + "/state", withIntermediateDirectories: true)
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("stewardd")
        let process = Process()
        process.executableURL = executable
        let socketPath = directory + "/steward.sock"
        process.arguments = ["--state-dir", directory + "/state", "--socket", socketPath, "--recheck-interval-s", "0", "--log-level", "error"]
            + (storeURL.map { ["--store-url", $0] } ?? [])
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        FileManager.default.createFile(atPath: directory + "/stewardd.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/stewardd.log"))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let daemon = BenchDaemon(process: process, socketPath: socketPath)
        let giveUp = Date().addingTimeInterval(60)
        while Date() < giveUp {
            guard process.isRunning else { break }
            if let client = try? StewardClient.connect(socketPath: socketPath) {
                defer { client.close() }
                if (try? await client.call(GrpcHealthV1.Health.check, .init())) != nil { return daemon }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        daemon.stop()
        let text = (try? String(contentsOfFile: directory + "/stewardd.log", encoding: .utf8)) ?? ""
        throw ValidationErrorText("stewardd in \(directory) did not start: \(text)")
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import Foundation

/// The built `stewardd` and `steward`, found beside the test bundle (SwiftPM
/// builds every product into the same directory before running tests).
enum Executables {
    static var directory: URL {
        if let explicit = ProcessInfo.processInfo.environment["STEWARD_BIN_DIR"] {
            return URL(fileURLWithPath: explicit)
        }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // From .../debug/StewardPackageTests.xctest (a file on Linux) up to .../debug.
        while url.pathComponents.count > 1 {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("stewardd").path) {
                return url
            }
        }
        return URL(fileURLWithPath: ".build/debug")
    }

    static var stewardd: URL { directory.appendingPathComponent("stewardd") }
    static var steward: URL { directory.appendingPathComponent("steward") }
}

/// What a finished command printed and how it exited.
struct CommandResult: Sendable {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Runs `executable` to completion, optionally as another OS user via
/// runuser (which needs root).
func runCommand(
    _ executable: URL, _ arguments: [String], asUser user: String? = nil,
    environment: [String: String] = [:], standardInput: String? = nil
) async throws -> CommandResult {
    try await offThePool {
        try runCommandBlocking(executable, arguments, asUser: user, environment: environment, standardInput: standardInput)
    }
}

private func runCommandBlocking(
    _ executable: URL, _ arguments: [String], asUser user: String?, environment: [String: String],
    standardInput: String?
) throws -> CommandResult {
    let process = Process()
    if let user {
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", user, "--", executable.path] + arguments
    } else {
        process.executableURL = executable
        process.arguments = arguments
    }
    var merged = ProcessInfo.processInfo.environment
    merged.removeValue(forKey: "STEWARD_SOCKET")
    merged.removeValue(forKey: "STEWARD_STATE_DIR")
    merged.merge(environment) { $1 }
    process.environment = merged
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    let input = Pipe()
    process.standardInput = standardInput == nil ? FileHandle.nullDevice : input
    try process.run()
    if let standardInput {
        input.fileHandleForWriting.write(Data(standardInput.utf8))
        try input.fileHandleForWriting.close()
    }
    // Read both pipes to the end before waiting, so a chatty child never blocks.
    // On a thread of its own: a blocking read on a Dispatch worker would
    // hold one of the few threads the in-process servers' queues run on.
    let stderrReader = JoinableReader(error.fileHandleForReading)
    let stdoutData = output.fileHandleForReading.readDataToEndOfFile()
    let stderrData = stderrReader.join()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        standardOutput: String(decoding: stdoutData, as: UTF8.self),
        standardError: String(decoding: stderrData, as: UTF8.self))
}

/// A `stewardd` child process, started and known to be listening.
final class DaemonProcess: @unchecked Sendable {
    let process = Process()
    let socketPath: String
    private let errorPipe = Pipe()
    private var stderrBuffer = Data()
    /// Set by ``discardLog()``: the log is read and dropped by a thread of its own.
    private var isLogDiscarded = false

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts stewardd and returns once it logged that it is listening.
    /// Unless `arguments` name one, its state directory is `state/` beside
    /// the socket's directory, so that parallel tests never share a store.
    ///
    /// - Parameters:
    ///   - user: run as this OS account (setpriv, which execs, so the
    ///     process is stewardd itself); needs root.
    ///   - umask: start with this umask (through sh), without touching the
    ///     test process's own, which every parallel test shares.
    ///   - openFiles: start with this soft and hard open-file limit
    ///     (prlimit, which execs, so the process is stewardd itself).
    static func start(
        socketPath: String, arguments: [String] = [], environment: [String: String] = [:],
        user: String? = nil, umask: mode_t? = nil, openFiles: (soft: Int, hard: Int)? = nil
    ) async throws -> DaemonProcess {
        var arguments = arguments
        if !arguments.contains("--state-dir") {
            let socketDirectory = (socketPath as NSString).deletingLastPathComponent
            let base = socketDirectory.hasSuffix("/run") ? (socketDirectory as NSString).deletingLastPathComponent : socketDirectory
            arguments += ["--state-dir", base + "/state"]
        }
        let allArguments = arguments
        return try await offThePool {
            try DaemonProcess(
                socketPath: socketPath, arguments: allArguments, environment: environment, user: user, umask: umask,
                openFiles: openFiles)
        }
    }

    private init(
        socketPath: String, arguments: [String], environment: [String: String], user: String?, umask: mode_t?,
        openFiles: (soft: Int, hard: Int)?
    ) throws {
        self.socketPath = socketPath
        var command = [Executables.stewardd.path, "--socket", socketPath, "--log-level", "info"] + arguments
        if let user {
            command = ["/usr/bin/setpriv", "--reuid=\(user)", "--regid=\(user)", "--init-groups", "--"] + command
        }
        if let umask {
            command = ["/bin/sh", "-c", "umask \(String(umask, radix: 8)) && exec \"$0\" \"$@\""] + command
        }
        if let openFiles {
            command = ["/usr/bin/prlimit", "--nofile=\(openFiles.soft):\(openFiles.hard)", "--"] + command
        }
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        process.environment = merged
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        guard try waitForLog(containing: "listening") else {
            process.waitUntilExit()
            throw StartFailure(description: "stewardd exited \(process.terminationStatus): \(stderrText)")
        }
    }

    var stderrText: String { String(decoding: stderrBuffer, as: UTF8.self) }

    /// Reads the daemon's log until a line contains `text` (true), or the
    /// daemon closes its stderr or `seconds` pass without it (false), so a
    /// line that never comes fails the test instead of hanging the suite.
    @discardableResult
    func waitForLog(containing text: String, within seconds: Double = 120) throws -> Bool {
        let handle = errorPipe.fileHandleForReading
        let giveUp = Date().addingTimeInterval(seconds)
        while !stderrText.contains(text) {
            var readable = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(0, giveUp.timeIntervalSinceNow) * 1000)
            guard remaining > 0, poll(&readable, 1, remaining) > 0 else { return false }
            let chunk = handle.availableData
            if chunk.isEmpty { return false }
            stderrBuffer.append(chunk)
        }
        return true
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for exit and returns the exit status, with the rest of its log read.
    func waitForExit() async throws -> Int32 {
        try await offThePool { self.blockingWaitForExit() }
    }

    /// For a test that makes the daemon log more than a pipe holds (a
    /// notice per hostile connection): from now on its log is read and
    /// dropped, so the daemon never blocks writing it. `stderrText` and
    /// `waitForLog` see nothing more.
    func discardLog() {
        isLogDiscarded = true
        let handle = errorPipe.fileHandleForReading
        Thread {
            while !handle.availableData.isEmpty {}
        }.start()
    }

    private func blockingWaitForExit() -> Int32 {
        if !isLogDiscarded { stderrBuffer.append(errorPipe.fileHandleForReading.readDataToEndOfFile()) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Resident memory of the daemon in KiB, from /proc.
    var residentKilobytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Reads a file handle to its end on a dedicated thread.
final class JoinableReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    func join() -> Data {
        done.wait()
        return data
    }
}

/// `steward connection register KEY` for a connection that names its
/// database, so the daemon reaches no server: REGISTERED, password "s3cret".
func registerWithoutDatabase(_ key: String, socket: [String]) async throws -> CommandResult {
    try await runCommand(
        Executables.steward,
        ["connection", "register", key, "--deployment", "SELF_MANAGED", "--host", "db.example.com",
         "--state-database", "steward_state", "--database", "sales", "--username", "steward", "--password-stdin"] + socket,
        standardInput: "s3cret\n")
}

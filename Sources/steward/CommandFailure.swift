import ArgumentParser
import Foundation
import StewardWire

/// A failed call, reported on stderr and turned into the exit code of its
/// status class (see `steward --help`).
struct CommandFailure: Error {
    let error: RPCError
    /// The exit code, when not the status class's.
    let exitCode: Int32?
    /// Whether the message is a list, one item a line (an import's bad
    /// rows): each line is then escaped and printed on its own, indented.
    var isLineList = false

    init(_ error: RPCError, exitCode: Int32? = nil) {
        self.error = error
        self.exitCode = exitCode
    }

    /// The message as printed: every control character escaped, so no text
    /// from the daemon can move the cursor or forge a line of output; a
    /// line list keeps its line breaks, each item indented under the first.
    var printedMessage: String {
        guard isLineList else { return TerminalText.escaped(error.message) }
        return error.message.split(separator: "\n", omittingEmptySubsequences: false)
            .map { TerminalText.escaped(String($0)) }.joined(separator: "\n  ")
    }

    /// The daemon at the socket runs as another uid than expected
    /// (`--expect-daemon-uid`, or the system socket's owner).
    static let daemonIdentityExitCode: Int32 = 6
    /// The socket is there but this user may not connect to it (not in the
    /// socket's group): an administrator's fix, not a retry.
    static let socketPermissionExitCode: Int32 = 7

    static func exitCode(for code: StatusCode) -> Int32 {
        switch code {
        case .ok: return 0
        case .invalidArgument, .notFound, .alreadyExists, .failedPrecondition, .outOfRange, .aborted: return 2
        case .permissionDenied, .unauthenticated: return 3
        case .unavailable, .deadlineExceeded, .resourceExhausted, .cancelled: return 4
        case .unimplemented: return 5
        default: return 1
        }
    }
}

extension StewardCommand {
    /// Reports a ``CommandFailure`` as `steward: CODE: message` (under
    /// `--json`, one JSON object on stderr: ``FailureReport``) and exits with
    /// its class; anything else goes through ArgumentParser.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            let exitCode = failure.exitCode ?? CommandFailure.exitCode(for: failure.error.code)
            if FailureReport.isRequested {
                FailureReport.write(code: failure.error.code.name, status: failure.error.code.rawValue, exitCode: exitCode,
                                    message: failure.error.message, lines: failure.isLineList)
            } else {
                FileHandle.standardError.write(Data("steward: \(failure.error.code.name): \(failure.printedMessage)\n".utf8))
            }
            Foundation.exit(exitCode)
        } catch {
            let exitCode = Self.exitCode(for: error)
            if FailureReport.isRequested, exitCode != .success {
                FailureReport.write(code: "USAGE", status: nil, exitCode: exitCode.rawValue,
                                    message: Self.message(for: error), lines: false)
                Foundation.exit(exitCode.rawValue)
            }
            exit(withError: error)
        }
    }
}

/// A failure as scripts read it under `--json`: one JSON object on one line
/// of stderr, `{"code": "NOT_FOUND", "status": 5, "exitCode": 2, "message": "…"}`
/// (`code` is `USAGE` and `status` absent for a command-line mistake, exit
/// 64; a list of bad rows also comes as `details`, one string per row).
/// JSON escapes every control character, so nothing in it reaches a terminal raw.
enum FailureReport {
    /// `--json` among the arguments (before a `--`): decided from the command
    /// line itself, since a failure to parse it leaves no options to ask.
    static var isRequested: Bool {
        CommandLine.arguments.dropFirst().prefix { $0 != "--" }.contains("--json")
    }

    static func write(code: String, status: Int32?, exitCode: Int32, message: String, lines: Bool) {
        var object: [String: Any] = ["code": code, "exitCode": Int(exitCode), "message": message]
        if let status { object["status"] = Int(status) }
        if lines { object["details"] = message.split(separator: "\n").map(String.init) }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{\"code\":\"INTERNAL\",\"message\":\"cannot encode the error\"}".utf8)
        FileHandle.standardError.write(data + Data("\n".utf8))
    }
}

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
    /// Reports a ``CommandFailure`` as `steward: CODE: message` and exits
    /// with its class; anything else goes through ArgumentParser.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("steward: \(failure.error.code.name): \(failure.printedMessage)\n".utf8))
            Foundation.exit(failure.exitCode ?? CommandFailure.exitCode(for: failure.error.code))
        } catch {
            exit(withError: error)
        }
    }
}

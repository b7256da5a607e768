import ArgumentParser
import Foundation
import StewardClient
import StewardWire

/// Options every command that talks to the daemon takes.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The daemon's socket. [env: STEWARD_SOCKET]", valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp(
        "Seconds to wait for the answer. [default: 10; 120 for calls that work on live databases: register, validate, sync, mapping check]",
        valueName: "seconds"))
    var timeout: Double?

    @Option(name: .long, help: ArgumentHelp(
        "Talk only to a daemon running as this uid (checked with SO_PEERCRED before anything is sent); exit 6 otherwise. [env: STEWARD_EXPECT_DAEMON_UID] [default: any uid, except root or the steward user for the system socket]",
        valueName: "uid"))
    var expectDaemonUid: UInt32?

    @Flag(name: .long, help: "Print the answer as JSON, for scripts.")
    var json = false

    @Option(name: .long, help: ArgumentHelp(
        "Colour answers: auto (on a terminal, unless NO_COLOR is set), always or never. [default: auto]",
        valueName: "when"))
    var color: ColorChoice = .auto

    /// Whether to colour what is printed on stdout (``ColorChoice``).
    var usesColor: Bool { color.resolved(environment: ProcessInfo.processInfo.environment) }

    @Flag(name: .long, help: "Say on stderr which daemon's socket is used and why (--socket, STEWARD_SOCKET, your own daemon, or the system daemon).")
    var verbose = false

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout <= 86_400) {
            throw ValidationError("--timeout must be more than 0 and at most 86400 seconds")
        }
    }

    /// Calls that connect to live databases (discovery, validation, sync,
    /// role checks) may take a while; everything else answers from the registry.
    static let databaseMethods: Set<String> = [
        StewardV1.Connections.register.path, StewardV1.Connections.validate.path, StewardV1.Connections.sync.path,
        StewardV1.Users.checkMappings.path,
    ]

    /// --timeout, or the default for `method`.
    func timeout(for method: any RPCMethodDescription) -> Duration {
        let seconds = timeout ?? (Self.databaseMethods.contains(method.path) ? 120 : 10)
        return .milliseconds(Int(seconds * 1000))
    }

    /// Connects, or exits with the status class of the failure; a daemon
    /// that is not the expected uid exits ``CommandFailure/daemonIdentityExitCode``,
    /// a socket this user may not open ``CommandFailure/socketPermissionExitCode``.
    func connect() throws -> StewardClient {
        if verbose {
            let location = SocketLocation.find(explicit: socket, environment: ProcessInfo.processInfo.environment)
            FileHandle.standardError.write(Data("steward: using \(TerminalText.escaped(location.description))\n".utf8))
        }
        do {
            return try StewardClient.connect(socketPath: socket, expectedDaemonUID: expectDaemonUid)
        } catch where error.code == .unauthenticated {
            // Connecting sends nothing, so UNAUTHENTICATED here is always the
            // peer-uid check: the daemon, not the caller, failed to prove who it is.
            throw CommandFailure(error, exitCode: CommandFailure.daemonIdentityExitCode)
        } catch where error.code == .permissionDenied {
            // Likewise PERMISSION_DENIED is the kernel refusing the socket:
            // not something a retry mends, and not the daemon's refusal (3).
            throw CommandFailure(error, exitCode: CommandFailure.socketPermissionExitCode)
        } catch {
            throw CommandFailure(error)
        }
    }

    /// Makes one unary call and prints nothing; failures exit with their class.
    func call<Request, Response>(
        _ method: UnaryMethod<Request, Response>, _ request: Request
    ) async throws -> Response {
        let client = try connect()
        defer { client.close() }
        do {
            return try await client.call(method, request, timeout: timeout(for: method))
        } catch {
            throw CommandFailure(error)
        }
    }

    /// Prints `message` as JSON when --json is given, else `text()`.
    /// Unbuffered, so a watch shows each change as it happens.
    ///
    /// The text's values are escaped where they are put in (table cells,
    /// summaries); here, at the boundary, every control character but the
    /// line breaks the text is made of is escaped too, so that no value that
    /// slipped through can reach the terminal raw. `colored` text (a
    /// validation report on a terminal) keeps its own escape sequences,
    /// having escaped its values itself.
    func emit(_ message: some ProtoMessage, colored: Bool = false, text: () -> String) {
        let plain = colored ? text() : TerminalText.escapedKeepingLineBreaks(text())
        let line = (json ? ProtoJSON.encode(message) : plain) + "\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }
}

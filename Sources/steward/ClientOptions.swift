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

    @Flag(name: .long, help: "Print the answer as JSON, for scripts.")
    var json = false

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

    /// Connects, or exits with the status class of the failure.
    func connect() throws -> StewardClient {
        do {
            return try StewardClient.connect(socketPath: socket)
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
    func emit(_ message: some ProtoMessage, text: () -> String) {
        let line = (json ? ProtoJSON.encode(message) : text()) + "\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }
}

import ArgumentParser
import StewardWire

/// A request that names one connection by its key and nothing else.
protocol ConnectionKeyRequest: ProtoMessage {
    init(key: String)
}

/// The shape of `connection deactivate`, `activate` and `delete`: one call
/// on one connection, named by key, and a line or two about its answer.
protocol ConnectionKeyCommand: AsyncParsableCommand {
    associatedtype Request: ConnectionKeyRequest
    associatedtype Response: ProtoMessage
    static var method: UnaryMethod<Request, Response> { get }
    var options: ClientOptions { get }
    var key: String { get }
    /// The text that stands for `response` without --json.
    func text(_ response: Response) -> String
}

extension ConnectionKeyCommand {
    mutating func run() async throws {
        let response = try await options.call(Self.method, Request(key: key))
        options.emit(response) { text(response) }
    }
}

/// An answer that carries the connection as the call left it.
protocol ConnectionAnswer {
    var connection: StewardV1.Connection? { get }
}

extension ConnectionKeyCommand where Response: ConnectionAnswer {
    func text(_ response: Response) -> String { ConnectionText.summary(response.connection ?? .init()) }
}

extension StewardV1.DeactivateConnectionRequest: ConnectionKeyRequest {}
extension StewardV1.DeactivateConnectionResponse: ConnectionAnswer {}
extension StewardV1.ActivateConnectionRequest: ConnectionKeyRequest {}
extension StewardV1.ActivateConnectionResponse: ConnectionAnswer {}
extension StewardV1.DeleteConnectionRequest: ConnectionKeyRequest {}

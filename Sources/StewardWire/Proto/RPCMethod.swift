/// One method of a service of the Steward contract, as generated from a
/// `.proto` file's `service` block: its path and its message types.
public protocol RPCMethodDescription: Sendable {
    /// The method's path in requests, such as `/steward.v1.Server/WhoAmI`.
    var path: String { get }
    /// Whether the server answers with a stream of messages rather than one.
    var isServerStreaming: Bool { get }
    var requestType: any ProtoMessage.Type { get }
    var responseType: any ProtoMessage.Type { get }
}

/// A method that answers one request with one response.
public struct UnaryMethod<Request: ProtoMessage, Response: ProtoMessage>:
    RPCMethodDescription, Hashable
{
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var isServerStreaming: Bool { false }
    public var requestType: any ProtoMessage.Type { Request.self }
    public var responseType: any ProtoMessage.Type { Response.self }
}

/// A method that answers one request with a stream of responses.
public struct ServerStreamingMethod<Request: ProtoMessage, Response: ProtoMessage>:
    RPCMethodDescription, Hashable
{
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var isServerStreaming: Bool { true }
    public var requestType: any ProtoMessage.Type { Request.self }
    public var responseType: any ProtoMessage.Type { Response.self }
}

/// A service of the Steward contract: its full name and its methods, in the
/// order the `.proto` file declares them.
public struct RPCServiceDescription: Sendable {
    /// The fully qualified service name, such as `steward.v1.Server`.
    public let fullName: String
    public let methods: [any RPCMethodDescription]

    public init(fullName: String, methods: [any RPCMethodDescription]) {
        self.fullName = fullName
        self.methods = methods
    }
}

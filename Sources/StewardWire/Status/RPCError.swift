/// A failed call, as a client sees it and as a handler reports it.
///
/// `message` travels to the client, so it must be safe to show: it never
/// carries a secret or an internal cause.
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String

    public init(_ code: StatusCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name): \(message)" }
}

/// An error that knows which status code and client-safe message it maps to.
///
/// Handlers may throw any error; one that conforms is answered with its code,
/// anything else becomes INTERNAL with a generic message (the cause is logged).
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}

extension RPCError: RPCErrorConvertible {
    public var rpcError: RPCError { self }
}

extension ProtoDecodingError: RPCErrorConvertible {
    public var rpcError: RPCError { RPCError(isOverBudget ? .resourceExhausted : .invalidArgument, description) }
}

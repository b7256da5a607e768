import Logging
import StewardWire

/// How a call ended: the status for its END frame and, for a unary call that
/// succeeded, the serialized response.
struct CallOutcome: Sendable {
    var code: StatusCode
    var message: String
    var payload: [UInt8]

    static func ok(_ payload: [UInt8]) -> CallOutcome {
        CallOutcome(code: .ok, message: "", payload: payload)
    }

    static func failure(_ error: RPCError) -> CallOutcome {
        CallOutcome(code: error.code, message: error.message, payload: [])
    }

    /// Maps whatever a handler threw to what the client may see: an error
    /// that knows its status keeps it; cancellation is CANCELLED; anything
    /// else is INTERNAL with a generic message, its cause logged only.
    static func failure(_ error: any Error, context: ServerCallContext) -> CallOutcome {
        switch error {
        case let convertible as any RPCErrorConvertible:
            return .failure(convertible.rpcError)
        case is CancellationError:
            return .failure(RPCError(.cancelled, "the call was cancelled"))
        default:
            context.logger.error(
                "handler failed unexpectedly",
                metadata: ["error": "\(String(reflecting: error))"])
            return .failure(RPCError(.internalError, "internal error"))
        }
    }
}

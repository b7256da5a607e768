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

    /// This outcome, or RESOURCE_EXHAUSTED when its END frame would be longer
    /// than the frame limit: the client would have to refuse such a frame and
    /// close the connection, losing its other calls, so the daemon never sends one.
    func fitting(maxFrameBytes: Int, callID: UInt64) -> CallOutcome {
        let length = FrameWriter.endFrameLength(callID: callID, code: code, message: message, payloadCount: payload.count)
        guard length > maxFrameBytes else { return self }
        return .failure(RPCError(.resourceExhausted, Self.tooLarge(payload.count, maxFrameBytes)))
    }

    static func tooLarge(_ bytes: Int, _ maxFrameBytes: Int) -> String {
        "the response of \(bytes) bytes does not fit the frame limit of \(maxFrameBytes) bytes; ask for less (a smaller page)"
    }
}

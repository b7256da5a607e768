import StewardModel
import StewardStore
import StewardWire

/// A request the domain refuses, with the status a client sees and a
/// message that says what is wrong and what to do. Safe to show: it never
/// holds a secret.
public struct DomainError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String

    public init(_ code: StatusCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func invalidArgument(_ field: String, _ problem: String) -> DomainError {
        DomainError(.invalidArgument, "\(field): \(problem)")
    }

    /// A model rule's refusal, as INVALID_ARGUMENT naming the field.
    public init(_ problem: InputProblem) {
        self = .invalidArgument(problem.field, problem.problem)
    }

    public static func failedPrecondition(_ message: String) -> DomainError {
        DomainError(.failedPrecondition, message)
    }

    /// A store's refusal or failure, with its status and message.
    init(_ error: StoreError) {
        self.init(error.code.status, error.message)
    }

    public var description: String { "\(code.name): \(message)" }
}

extension DomainError: RPCErrorConvertible {
    public var rpcError: RPCError { RPCError(code, message) }
}

/// Runs `body`, turning store errors into domain errors with their status.
func storeCall<T>(_ body: () throws(StoreError) -> T) throws(DomainError) -> T {
    do { return try body() } catch { throw DomainError(error) }
}

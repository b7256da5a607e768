import Glibc

/// A failed system call: which call, and the errno it left.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    public var call: String
    public var errno: Int32

    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// The C library's text for the errno, such as "Connection refused".
    public var reason: String { String(cString: strerror(errno)) }

    public var description: String { "\(call): \(reason) (errno \(errno))" }
}

/// What a non-blocking system call did.
public enum SyscallResult<Value> {
    case done(Value)
    /// EAGAIN / EWOULDBLOCK: try again when the descriptor is ready.
    case wouldBlock
}

/// Runs a system call that reports failure with -1 and errno: retries EINTR,
/// turns EAGAIN into ``SyscallResult/wouldBlock`` and throws anything else as a
/// ``SystemCallError`` that names the call.
@inlinable
public func systemCall<Value: BinaryInteger>(
    _ name: @autoclosure () -> String, _ body: () -> Value
) throws(SystemCallError) -> SyscallResult<Value> {
    while true {
        let result = body()
        if result != -1 { return .done(result) }
        let code = errno
        switch code {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        default: throw SystemCallError(name(), errno: code)
        }
    }
}

/// ``systemCall(_:_:)`` for calls on blocking descriptors, where EAGAIN is an error.
@inlinable
@discardableResult
public func blockingSystemCall<Value: BinaryInteger>(
    _ name: @autoclosure () -> String, _ body: () -> Value
) throws(SystemCallError) -> Value {
    switch try systemCall(name(), body) {
    case .done(let value): return value
    case .wouldBlock: throw SystemCallError(name(), errno: EAGAIN)
    }
}

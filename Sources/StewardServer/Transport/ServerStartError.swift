import StewardWire

/// Why a daemon could not start listening. Each says what to do about it.
public enum ServerStartError: Error, CustomStringConvertible, Equatable {
    case socketInUse(path: String)
    case pathIsNotASocket(path: String)
    case socketPathTooLong(path: String, limit: Int)
    /// The socket's directory is another user's, or others may write in it.
    case unsafeDirectory(String)
    case system(call: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case .socketInUse(let path):
            return "another daemon is serving \(path); stop it first or choose another --socket"
        case .pathIsNotASocket(let path):
            return "\(path) exists and is not a socket; remove it or choose another --socket"
        case .socketPathTooLong(let path, let limit):
            return "socket path \(path) is longer than the \(limit) bytes a Unix socket address holds"
        case .unsafeDirectory(let reason):
            return reason
        case .system(let call, let path, let code):
            return "\(call) \(path): \(SystemCallError(call, errno: code).reason)"
        }
    }
}

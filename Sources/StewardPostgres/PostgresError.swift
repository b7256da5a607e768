import StewardWire

/// A failure talking to PostgreSQL: the kind of failure (what callers map to
/// checks and status codes) and what the server or libpq said.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, told apart so that a caller can react: an
    /// unreachable host is not a wrong password.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Nothing answered: refused, no route, unknown host, no socket file.
        public static let unreachable = Kind("unreachable")
        /// The server refused the login: wrong password, unknown role, no pg_hba entry.
        public static let authentication = Kind("authentication")
        /// TLS could not be set up as required: not offered, certificate not trusted, wrong host name.
        public static let tls = Kind("tls")
        /// The deadline passed while connecting or while a statement ran (it was cancelled).
        public static let timeout = Kind("timeout")
        /// The server answered a statement with an error (see `sqlState`).
        public static let server = Kind("server")
        /// The named database does not exist.
        public static let databaseMissing = Kind("databaseMissing")
        /// The login worked but the server refused the database: the role lacks CONNECT on it.
        public static let connectNotPermitted = Kind("connectNotPermitted")
        /// The connection broke mid-way, or libpq failed in another way.
        public static let connectionLost = Kind("connectionLost")
        /// A result could not be read as the caller expected.
        public static let decoding = Kind("decoding")
    }

    public var kind: Kind
    /// The server's SQLSTATE (`28P01`, `42501`, …) when it sent one.
    public var sqlState: String?
    public var severity: String?
    /// The primary message, from the server or libpq. Never holds a password:
    /// libpq does not echo passwords, and callers never put one in SQL text.
    public var message: String
    public var detail: String?
    public var hint: String?

    public init(
        kind: Kind, message: String, sqlState: String? = nil, severity: String? = nil,
        detail: String? = nil, hint: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.severity = severity
        self.detail = detail
        self.hint = hint
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        return text
    }

    public var debugDescription: String {
        var text = "PostgresError.\(kind): \(description)"
        if let severity { text += " severity=\(severity)" }
        if let detail { text += " detail=\(detail)" }
        if let hint { text += " hint=\(hint)" }
        return text
    }
}

extension PostgresError: RPCErrorConvertible {
    public var rpcError: RPCError {
        switch kind {
        case .unreachable, .connectionLost: return RPCError(.unavailable, "PostgreSQL: \(message)")
        case .timeout: return RPCError(.deadlineExceeded, "PostgreSQL: \(message)")
        case .authentication: return RPCError(.failedPrecondition, "PostgreSQL refused the login: \(message)")
        case .tls: return RPCError(.failedPrecondition, "PostgreSQL TLS: \(message)")
        case .databaseMissing, .connectNotPermitted: return RPCError(.failedPrecondition, "PostgreSQL: \(message)")
        default: return RPCError(.failedPrecondition, "PostgreSQL: \(description)")
        }
    }
}

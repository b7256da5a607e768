import StewardWire

/// A failure of the registry store or of opening its state directory.
///
/// `description` (the `message`) is safe to show a client: it names the
/// object and the rule, never a secret or an internal cause. The cause, such
/// as SQLite's result code and text, lives in `detail` and appears only in
/// `debugDescription`, which is for the daemon's log.
public struct StoreError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure, and the wire status it maps to. A struct rather
    /// than an enum so that new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public let status: StatusCode

        public init(_ name: String, status: StatusCode) {
            self.name = name
            self.status = status
        }

        public var description: String { name }

        // Failures of a store operation.
        public static let notFound = Code("notFound", status: .notFound)
        public static let alreadyExists = Code("alreadyExists", status: .alreadyExists)
        /// Compare-and-set lost: the object changed since the caller read it.
        public static let revisionConflict = Code("revisionConflict", status: .aborted)
        /// The object is not in a state that allows the operation.
        public static let failedPrecondition = Code("failedPrecondition", status: .failedPrecondition)
        /// A value breaks a rule of the schema (a CHECK constraint, a bad page token).
        public static let invalidArgument = Code("invalidArgument", status: .invalidArgument)
        /// The store is busy, closed or otherwise temporarily unusable.
        public static let unavailable = Code("unavailable", status: .unavailable)
        /// The stored data is damaged or cannot be decrypted.
        public static let corrupt = Code("corrupt", status: .dataLoss)
        /// Anything else the storage engine reports.
        public static let io = Code("io", status: .internalError)

        // Refusals at start; they reach the daemon's operator, not a client.
        public static let stateDirectoryUnusable = Code("stateDirectoryUnusable", status: .failedPrecondition)
        public static let stateDirectoryInUse = Code("stateDirectoryInUse", status: .failedPrecondition)
        public static let keyMissing = Code("keyMissing", status: .failedPrecondition)
        public static let keyUnreadable = Code("keyUnreadable", status: .failedPrecondition)
        public static let keyInsecure = Code("keyInsecure", status: .failedPrecondition)
        public static let keyMalformed = Code("keyMalformed", status: .failedPrecondition)
        public static let keyMismatch = Code("keyMismatch", status: .failedPrecondition)
        public static let schemaTooNew = Code("schemaTooNew", status: .failedPrecondition)
    }

    public var code: Code
    /// Safe to show a client.
    public var message: String
    /// The internal cause, for the log only.
    public var detail: String?
    /// For a batch refused as a whole (an import): every item that failed,
    /// by its position in the batch, each with its own client-safe error.
    public var itemFailures: [ItemFailure]

    public struct ItemFailure: Sendable {
        /// Zero-based position in the batch.
        public var index: Int
        public var error: StoreError

        public init(index: Int, error: StoreError) {
            self.index = index
            self.error = error
        }
    }

    public init(_ code: Code, _ message: String, detail: String? = nil, itemFailures: [ItemFailure] = []) {
        self.code = code
        self.message = message
        self.detail = detail
        self.itemFailures = itemFailures
    }

    public var description: String { message }

    public var debugDescription: String {
        guard let detail else { return "\(code): \(message)" }
        return "\(code): \(message) [\(detail)]"
    }
}

extension StoreError: RPCErrorConvertible {
    /// Internal failures keep a generic message on the wire, whatever they say
    /// locally; the rest carry their (client-safe) message.
    public var rpcError: RPCError {
        switch code.status {
        case .internalError: RPCError(.internalError, "the registry store failed")
        default: RPCError(code.status, message)
        }
    }
}

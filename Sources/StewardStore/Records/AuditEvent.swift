import Foundation
import StewardWire

/// An audit event as the domain writes it.
public struct NewAuditEvent: Sendable, Hashable {
    /// When it happened by the daemon's clock. The embedded store keeps it;
    /// the shared registry ignores it and stamps the database's time, so no
    /// daemon (nor another writer of the table) decides an event's time.
    public var at: Date
    /// The caller's uid, from the kernel.
    public var uid: UInt32
    /// The Steward user the uid mapped to, if any.
    public var userName: String?
    /// The method path, such as `/steward.v1.Connections/Register`.
    public var method: String
    /// What the call acted on, such as a connection key or a user name.
    public var target: String?
    /// The connection the call concerned, if any (for filtering).
    public var connectionKey: String?
    public var status: StatusCode
    /// The client-safe status message.
    public var message: String

    public init(
        at: Date, uid: UInt32, userName: String? = nil, method: String, target: String? = nil,
        connectionKey: String? = nil, status: StatusCode, message: String = ""
    ) {
        self.at = at
        self.uid = uid
        self.userName = userName
        self.method = method
        self.target = target
        self.connectionKey = connectionKey
        self.status = status
        self.message = message
    }
}

/// A stored audit event. Events are append-only: there is no way to change
/// or remove one.
public struct AuditEvent: Sendable, Hashable {
    /// Increases with every event, never reused.
    public var id: Int64
    public var at: Date
    public var uid: UInt32
    public var userName: String?
    public var method: String
    public var target: String?
    public var connectionKey: String?
    public var status: StatusCode
    public var message: String

    public init(id: Int64, event: NewAuditEvent) {
        self.id = id
        self.at = event.at
        self.uid = event.uid
        self.userName = event.userName
        self.method = event.method
        self.target = event.target
        self.connectionKey = event.connectionKey
        self.status = event.status
        self.message = event.message
    }
}

/// Which audit events to list; every field set narrows the list.
public struct AuditFilter: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// Status OK.
        case succeeded
        /// Any status but OK (denials included).
        case failed
        case status(StatusCode)
        /// PERMISSION_DENIED or UNAUTHENTICATED.
        case denied
    }

    /// Inclusive.
    public var from: Date?
    /// Exclusive.
    public var until: Date?
    public var uid: UInt32?
    public var userName: String?
    public var connectionKey: String?
    public var method: String?
    public var outcome: Outcome?

    public init(
        from: Date? = nil, until: Date? = nil, uid: UInt32? = nil, userName: String? = nil,
        connectionKey: String? = nil, method: String? = nil, outcome: Outcome? = nil
    ) {
        self.from = from
        self.until = until
        self.uid = uid
        self.userName = userName
        self.connectionKey = connectionKey
        self.method = method
        self.outcome = outcome
    }
}

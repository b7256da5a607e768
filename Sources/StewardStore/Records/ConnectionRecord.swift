import Foundation
import StewardModel

/// A registered connection as stored. Settings read through, so
/// `record.host` is `record.settings.host`.
@dynamicMemberLookup
public struct ConnectionRecord: Sendable, Hashable {
    /// Unique and immutable: data source names and mappings refer to it.
    public var key: String
    public var settings: ConnectionSettings
    public var state: LifecycleState
    /// Increases with every change (settings or state); updates compare and
    /// set on it.
    public var revision: Int64
    /// The revision written by the last change of settings. A validation
    /// report taken at or after this revision tested the current settings.
    public var settingsRevision: Int64
    public var createdAt: Date
    public var updatedAt: Date
    /// The uid of the caller that registered it.
    public var createdBy: UInt32

    public init(
        key: String, settings: ConnectionSettings, state: LifecycleState, revision: Int64,
        settingsRevision: Int64, createdAt: Date, updatedAt: Date, createdBy: UInt32
    ) {
        self.key = key
        self.settings = settings
        self.state = state
        self.revision = revision
        self.settingsRevision = settingsRevision
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.createdBy = createdBy
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<ConnectionSettings, Value>) -> Value {
        settings[keyPath: keyPath]
    }
}

/// A change of lifecycle state as a caller asks for it.
public struct StateChange: Sendable, Hashable {
    public var to: LifecycleState
    /// The uid of the caller (or the daemon's own uid for rechecks).
    public var actor: UInt32
    public var reason: String

    public init(to: LifecycleState, actor: UInt32, reason: String) {
        self.to = to
        self.actor = actor
        self.reason = reason
    }
}

/// One recorded change of a connection's state. The first one of every
/// connection has no `from`: it is the registration.
public struct LifecycleTransition: Sendable, Hashable {
    public var connectionKey: String
    public var from: LifecycleState?
    public var to: LifecycleState
    public var actor: UInt32
    public var at: Date
    public var reason: String
    /// The Steward user whose uid is `actor` when it was read; nil when no
    /// user has it (the daemon's own uid, or a user since deleted).
    public var actorName: String?
    /// Its position in the connection's history: increases with every
    /// transition, so a page of history resumes after it.
    public var sequence: Int64

    public init(
        connectionKey: String, from: LifecycleState?, to: LifecycleState, actor: UInt32,
        at: Date, reason: String, actorName: String? = nil, sequence: Int64 = 0
    ) {
        self.actorName = actorName
        self.sequence = sequence
        self.connectionKey = connectionKey
        self.from = from
        self.to = to
        self.actor = actor
        self.at = at
        self.reason = reason
    }
}

/// A change of a connection's settings, applied only if the connection is
/// still at `expectedRevision`.
public struct ConnectionUpdate: Sendable {
    public var key: String
    public var expectedRevision: Int64
    public var settings: ConnectionSettings
    /// A new password, or nil to keep the stored one.
    public var password: Secret?
    /// A state change made in the same transaction (an update that changes
    /// where or how Steward connects sends the connection back to REGISTERED).
    public var stateChange: StateChange?

    public init(
        key: String, expectedRevision: Int64, settings: ConnectionSettings,
        password: Secret? = nil, stateChange: StateChange? = nil
    ) {
        self.key = key
        self.expectedRevision = expectedRevision
        self.settings = settings
        self.password = password
        self.stateChange = stateChange
    }
}

import StewardModel
import StewardStore

/// How tests set the scene: a connection put straight in a store and walked
/// to the state a test needs along legal transitions, as a validation and
/// a completed setup would take it.
public enum ConnectionWalk {
    /// The states a new (REGISTERED) connection passes through to reach
    /// `target`, in order; none for REGISTERED itself.
    public static func path(to target: LifecycleState) -> [LifecycleState] {
        switch target {
        case .registered: []
        case .validated: [.validated]
        case .validationFailed: [.validationFailed]
        case .active: [.validated, .active]
        case .unhealthy: [.validated, .active, .unhealthy]
        case .inactive: [.validated, .active, .inactive]
        }
    }

    /// Settings for a test connection named after its key: a host of its
    /// own, one role, the usual state database.
    public static func settings(key: String, governed: [String]) -> ConnectionSettings {
        ConnectionSettings(
            displayName: key, deploymentType: .selfManaged, host: "\(key).example.internal", port: 5432,
            stateDatabase: "steward_state", governedDatabases: governed, username: "steward", sslMode: .prefer)
    }
}

extension RegistryStore {
    /// Creates the connection `key` and walks it to `target` along legal
    /// transitions, each recorded as made by `actor`; returns it as it ends.
    @discardableResult
    public func createConnection(
        key: String, settings: ConnectionSettings, password: Secret, createdBy actor: UInt32,
        walkedTo target: LifecycleState
    ) throws -> ConnectionRecord {
        var record = try createConnection(key: key, settings: settings, password: password, createdBy: actor)
        for next in ConnectionWalk.path(to: target) {
            record = try transitionConnection(
                key: key, expectedRevision: record.revision, change: StateChange(to: next, actor: actor, reason: "test"))
        }
        return record
    }
}

import StewardModel

// The contract's connection states and the model's lifecycle states, in one
// place for the daemon and the CLI alike.

extension StewardV1.ConnectionState {
    /// The contract's value for `state`.
    public init(_ state: LifecycleState) {
        self = switch state {
        case .registered: .registered
        case .validated: .validated
        case .validationFailed: .validationFailed
        case .active: .active
        case .unhealthy: .unhealthy
        case .inactive: .inactive
        }
    }
}

extension LifecycleState {
    /// The model's value for `message`; nil for UNSPECIFIED or a value this
    /// build does not know.
    public init?(_ message: StewardV1.ConnectionState) {
        guard let state = LifecycleState.allCases.first(where: { StewardV1.ConnectionState($0) == message }) else { return nil }
        self = state
    }
}

import StewardModel

// The contract's deployment types and the model's, in one place for the
// daemon and the CLI alike.

extension StewardV1.DeploymentType {
    /// The contract's value for `type`.
    public init(_ type: DeploymentType) {
        self = switch type {
        case .neon: .neon
        case .selfManaged: .selfManaged
        }
    }
}

extension DeploymentType {
    /// The model's value for `message`; nil for UNSPECIFIED or a value this
    /// build does not know.
    public init?(_ message: StewardV1.DeploymentType) {
        guard let type = DeploymentType.allCases.first(where: { StewardV1.DeploymentType($0) == message }) else { return nil }
        self = type
    }
}

import StewardModel

// The contract's permissions and the model's, in one place for the daemon
// and the CLI alike.

extension StewardV1.Permission {
    /// The contract's value for `permission`.
    public init(_ permission: Permission) {
        self = switch permission {
        case .applicationAdmin: .applicationAdmin
        case .userAdmin: .userAdmin
        }
    }
}

extension Permission {
    /// The model's value for `message`; nil for UNSPECIFIED or a value this
    /// build does not know.
    public init?(_ message: StewardV1.Permission) {
        guard let permission = Permission.allCases.first(where: { StewardV1.Permission($0) == message }) else { return nil }
        self = permission
    }
}

import StewardModel

// The contract's sslmode values and the model's, in one place for the daemon
// and the CLI alike.

extension StewardV1.SslMode {
    /// The contract's value for `mode`.
    public init(_ mode: SSLMode) {
        self = switch mode {
        case .disable: .disable
        case .allow: .allow
        case .prefer: .prefer
        case .require: .require
        case .verifyCA: .verifyCa
        case .verifyFull: .verifyFull
        }
    }
}

extension SSLMode {
    /// The model's value for `message`; nil for UNSPECIFIED or a value this
    /// build does not know.
    public init?(_ message: StewardV1.SslMode) {
        guard let mode = SSLMode.allCases.first(where: { StewardV1.SslMode($0) == message }) else { return nil }
        self = mode
    }
}

/// The registry-wide rule deriving a user's PostgreSQL username from their
/// Steward user name where no mapping names one (no mapping, or UNSET):
/// `{name}` stands for the user name, so `{name}_ro` makes alice `alice_ro`.
/// A default or per-connection mapping overrides it, as it overrides the
/// plain user name without a template.
public struct IdentityTemplate: Sendable, Hashable, CustomStringConvertible {
    public static let placeholder = "{name}"

    public let pattern: String

    /// nil unless `pattern` contains `{name}` exactly once and no other brace.
    public init?(_ pattern: String) {
        let parts = pattern.components(separatedBy: Self.placeholder)
        guard parts.count == 2, !parts.joined().contains("{"), !parts.joined().contains("}") else { return nil }
        self.pattern = pattern
    }

    public func username(forUser userName: String) -> String {
        pattern.replacingOccurrences(of: Self.placeholder, with: userName)
    }

    public var description: String { pattern }
}

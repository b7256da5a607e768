/// What a Steward user may do beyond reading; granted by a USER_ADMIN.
public enum Permission: String, Sendable, Hashable, CaseIterable {
    /// Registers and manages connections.
    case applicationAdmin = "APPLICATION_ADMIN"
    /// Manages users, permissions and mappings.
    case userAdmin = "USER_ADMIN"
}

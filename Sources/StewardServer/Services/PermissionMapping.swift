import StewardModel
import StewardStore
import StewardWire

/// steward.v1.Permission <-> the model's ``Permission`` (StewardWire's `Model/`).
enum PermissionMapping {
    static func messages(_ permissions: Set<Permission>) -> [StewardV1.Permission] {
        permissions.map(message).sorted { $0.rawValue < $1.rawValue }
    }

    static func message(_ permission: Permission) -> StewardV1.Permission { StewardV1.Permission(permission) }

    /// nil for UNSPECIFIED or a value this build does not know; the service
    /// refuses it after checking the caller's permission.
    @Sendable static func permission(_ message: StewardV1.Permission) -> Permission? { Permission(message) }
}

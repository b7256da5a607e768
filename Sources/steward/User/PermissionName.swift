import ArgumentParser
import StewardModel
import StewardWire

/// Permissions as people type and read them: APPLICATION_ADMIN, USER_ADMIN.
enum PermissionName {
    /// The permissions one can grant: the model's, in the order the contract lists them.
    static let grantable: [StewardV1.Permission] = Permission.allCases.map(StewardV1.Permission.init)

    static func text(_ permission: StewardV1.Permission) -> String {
        (permission.protoName ?? "\(permission.rawValue)").replacing("PERMISSION_", with: "")
    }

    /// "APPLICATION_ADMIN, USER_ADMIN", or "none" so an empty list still reads.
    static func list(_ permissions: [StewardV1.Permission]) -> String {
        permissions.isEmpty ? "none" : permissions.map(text).joined(separator: ", ")
    }

    /// Any case, with '-' for '_' and the PERMISSION_ prefix optional, so
    /// `user-admin` works as well as the name the daemon prints.
    @Sendable
    static func parse(_ argument: String) throws -> StewardV1.Permission {
        var name = argument.uppercased().replacing("-", with: "_")
        if name.hasPrefix("PERMISSION_") { name.removeFirst("PERMISSION_".count) }
        guard let permission = Permission(rawValue: name) else {
            let allowed = grantable.map(text).joined(separator: " or ")
            throw ValidationError("the permission must be \(allowed), not \(argument)")
        }
        return StewardV1.Permission(permission)
    }
}

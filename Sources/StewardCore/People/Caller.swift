import StewardModel
import StewardStore

/// Who is calling: the uid the kernel reported (`SO_PEERCRED`), never what
/// the request claims, and what the daemon knows about that uid.
public struct Caller: Sendable, Hashable {
    public var uid: UInt32
    /// The Steward user the uid is, if any.
    public var userName: String?
    public var permissions: Set<Permission>
    /// A Steward user, root, or the daemon's own uid. Unknown callers may
    /// call only Health and WhoAmI.
    public var isKnown: Bool

    public init(uid: UInt32, userName: String? = nil, permissions: Set<Permission> = [], isKnown: Bool = true) {
        self.uid = uid
        self.userName = userName
        self.permissions = permissions
        self.isKnown = isKnown
    }

    /// Root or the daemon's own uid: administrators from the start, holding
    /// every permission whether or not a Steward user names them.
    public static func administrator(uid: UInt32, userName: String? = nil) -> Caller {
        Caller(uid: uid, userName: userName, permissions: Set(Permission.allCases))
    }

    public static func unknown(uid: UInt32) -> Caller {
        Caller(uid: uid, isKnown: false)
    }

    public func holds(_ permission: Permission) -> Bool { permissions.contains(permission) }

    /// PERMISSION_DENIED unless the caller holds `permission`.
    public func require(_ permission: Permission, to action: String) throws(DomainError) {
        guard holds(permission) else {
            throw DomainError(.permissionDenied, "\(self) may not \(action): \(permission.rawValue) is required")
        }
    }
}

extension Caller: CustomStringConvertible {
    /// "user "alice" (uid 1001)" or "uid 1001", for messages.
    public var description: String {
        userName.map { "user \"\($0)\" (uid \(uid))" } ?? "uid \(uid)"
    }
}

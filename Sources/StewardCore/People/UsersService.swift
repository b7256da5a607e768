import Foundation
import StewardModel
import StewardStore

/// The people of the registry: users identified by uid, their permissions
/// (USER_ADMIN manages them), and their PostgreSQL identities (in
/// +Mappings, +Import and +Check). Every mutating call, allowed or not,
/// leaves an audit event.
public struct UsersService: Sendable {
    let store: any RegistryStore
    let roles: any LoginRoleProbe
    let audit: AuditTrail

    /// How long CheckMappings may take when the call gives no deadline.
    public static let defaultCheckMilliseconds = 10_000

    /// - Parameter audit: where events go; by default straight to `store`.
    public init(store: any RegistryStore, roles: any LoginRoleProbe, audit: AuditTrail? = nil) {
        self.store = store
        self.roles = roles
        self.audit = audit ?? AuditTrail(store: store)
    }

    // MARK: Users

    /// `permissions` as requested: nil stands for a value the API did not
    /// recognise, refused once the caller is known to be allowed.
    public func create(name: String, uid: UInt32, permissions: [Permission?], call: AuditedCall) throws(DomainError) -> UserRecord {
        let caller = call.caller
        return try audit.audited(call) { () throws(DomainError) in
            try caller.require(.userAdmin, to: "create users")
            try IdentityRules.checkUserName(name)
            let permissions = try Self.known(permissions, field: "permissions")
            try caller.requireHolding(permissions, toGrant: "create a user with")
            // (uid_t)-1 means "no uid" to the kernel: no process runs as it.
            guard uid != UInt32.max else { throw .invalidArgument("uid", "\(uid) is not a uid a process can have") }
            return try storeCall { () throws(StoreError) in try store.createUser(name: name, uid: uid, permissions: permissions) }
        }
    }

    /// Any known caller may read a user; the mappings come only with the
    /// caller's own user or with USER_ADMIN (nil: withheld), as ListMappings.
    public func user(name: String, caller: Caller) throws(DomainError) -> (user: UserRecord, mappings: [IdentityMapping]?) {
        let showMappings = caller.holds(.userAdmin) || caller.userName == name
        // Mappings read whether or not they are shown: the same read, and
        // on the embedded store the same remembered answer, for every caller.
        let found = try storeCall { () throws(StoreError) in try store.userWithMappings(name: name) }
        return (found.user, showMappings ? found.mappings : nil)
    }

    public func list(page: PageRequest) throws(DomainError) -> Page<UserRecord> {
        try storeCall { () throws(StoreError) in try store.listUsers(page: page) }
    }

    /// Idempotent: granting a held permission changes nothing.
    public func grant(_ permission: Permission?, to name: String, call: AuditedCall) throws(DomainError) -> UserRecord {
        let caller = call.caller
        return try audit.audited(call) { () throws(DomainError) in
            try caller.require(.userAdmin, to: "grant permissions")
            let permission = try Self.known(permission, field: "permission")
            try caller.requireHolding([permission], toGrant: "grant")
            return try storeCall { () throws(StoreError) in try store.grant(permission, toUser: name) }
        }
    }

    /// Idempotent. Root and the daemon's uid keep every permission whatever
    /// their user record says.
    public func revoke(_ permission: Permission?, from name: String, call: AuditedCall) throws(DomainError) -> UserRecord {
        let caller = call.caller
        return try audit.audited(call) { () throws(DomainError) in
            try caller.require(.userAdmin, to: "revoke permissions")
            let permission = try Self.known(permission, field: "permission")
            return try storeCall { () throws(StoreError) in try store.revoke(permission, fromUser: name) }
        }
    }

    /// Removes a user with their permissions and mappings; their audit
    /// events stay. Deleting one's own user is refused, so that a user admin
    /// cannot lock themselves out by mistake.
    public func delete(name: String, call: AuditedCall) throws(DomainError) {
        let caller = call.caller
        try audit.audited(call) { () throws(DomainError) in
            try caller.require(.userAdmin, to: "delete users")
            guard caller.userName != name else {
                throw .failedPrecondition("\(caller) cannot delete their own user; another USER_ADMIN (or root) can")
            }
            try storeCall { () throws(StoreError) in try store.deleteUser(name: name) }
        }
    }

    private static func known(_ permission: Permission?, field: String) throws(DomainError) -> Permission {
        guard let permission else { throw .invalidArgument(field, "must be APPLICATION_ADMIN or USER_ADMIN") }
        return permission
    }

    private static func known(_ permissions: [Permission?], field: String) throws(DomainError) -> Set<Permission> {
        var known: Set<Permission> = []
        for permission in permissions { known.insert(try Self.known(permission, field: field)) }
        return known
    }
}


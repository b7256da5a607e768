import Foundation
import StewardStore

/// The people of the registry: users identified by uid, their permissions
/// (USER_ADMIN manages them), and their PostgreSQL identities. Every
/// mutating call, allowed or not, leaves an audit event.
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

    static let path = "/steward.v1.Users/"

    /// Rows one ImportMappings call may carry.
    public static let maxImportRows = 50_000
    /// Bad rows an import failure lists by line (the rest are counted), so
    /// that the answer stays a readable size.
    public static let maxReportedProblems = 100

    // MARK: Users

    /// `permissions` as requested: nil stands for a value the API did not
    /// recognise, refused once the caller is known to be allowed.
    public func create(name: String, uid: UInt32, permissions: [Permission?], caller: Caller) throws(DomainError) -> UserRecord {
        try audit.audited(Self.path + "Create", caller, target: name) { () throws(DomainError) in
            try caller.require(.userAdmin, to: "create users")
            try IdentityRules.checkUserName(name)
            let permissions = try Self.known(permissions, field: "permissions")
            // (uid_t)-1 means "no uid" to the kernel: no process runs as it.
            guard uid != UInt32.max else { throw .invalidArgument("uid", "\(uid) is not a uid a process can have") }
            return try storeCall { () throws(StoreError) in try store.createUser(name: name, uid: uid, permissions: permissions) }
        }
    }

    /// Any known caller may read a user; the mappings come only with the
    /// caller's own user or with USER_ADMIN (nil: withheld), as ListMappings.
    public func user(name: String, caller: Caller) throws(DomainError) -> (user: UserRecord, mappings: [IdentityMapping]?) {
        let showMappings = caller.holds(.userAdmin) || caller.userName == name
        return try storeCall { () throws(StoreError) in
            (try store.user(name: name), showMappings ? try store.listMappings(MappingFilter(userName: name)) : nil)
        }
    }

    public func list(page: PageRequest) throws(DomainError) -> Page<UserRecord> {
        try storeCall { () throws(StoreError) in try store.listUsers(page: page) }
    }

    /// Idempotent: granting a held permission changes nothing.
    public func grant(_ permission: Permission?, to name: String, caller: Caller) throws(DomainError) -> UserRecord {
        try audit.audited(Self.path + "Grant", caller, target: name) { () throws(DomainError) in
            try caller.require(.userAdmin, to: "grant permissions")
            let permission = try Self.known(permission, field: "permission")
            return try storeCall { () throws(StoreError) in try store.grant(permission, toUser: name) }
        }
    }

    /// Idempotent. Root and the daemon's uid keep every permission whatever
    /// their user record says.
    public func revoke(_ permission: Permission?, from name: String, caller: Caller) throws(DomainError) -> UserRecord {
        try audit.audited(Self.path + "Revoke", caller, target: name) { () throws(DomainError) in
            try caller.require(.userAdmin, to: "revoke permissions")
            let permission = try Self.known(permission, field: "permission")
            return try storeCall { () throws(StoreError) in try store.revoke(permission, fromUser: name) }
        }
    }

    /// Removes a user with their permissions and mappings; their audit
    /// events stay. Deleting one's own user is refused, so that a user admin
    /// cannot lock themselves out by mistake.
    public func delete(name: String, caller: Caller) throws(DomainError) {
        try audit.audited(Self.path + "Delete", caller, target: name) { () throws(DomainError) in
            try caller.require(.userAdmin, to: "delete users")
            guard caller.userName != name else {
                throw .failedPrecondition("\(caller) cannot delete their own user; another USER_ADMIN (or root) can")
            }
            try storeCall { () throws(StoreError) in try store.deleteUser(name: name) }
        }
    }

    // MARK: Mappings

    public func setMapping(_ request: MappingRequest, caller: Caller) throws(DomainError) -> IdentityMapping {
        try audit.audited(Self.path + "SetMapping", caller, target: request.userName, connectionKey: request.connectionKey) {
            () throws(DomainError) in
            try caller.require(.userAdmin, to: "set mappings")
            try IdentityRules.checkUserName(request.userName, field: "mapping.user_name")
            guard let kind = request.kind else {
                throw .invalidArgument("mapping.identity.kind", "must be POSTGRES_USERNAME, IAM_PRINCIPAL, UNSET or NONE")
            }
            let mapping = IdentityMapping(
                userName: request.userName, connectionKey: request.connectionKey,
                identity: try IdentityRules.identity(kind: kind, value: request.value, field: "mapping.identity.value"))
            return try storeCall { () throws(StoreError) in try store.setMapping(mapping) }
        }
    }

    public func removeMapping(userName: String, connectionKey: String?, caller: Caller) throws(DomainError) {
        try audit.audited(Self.path + "RemoveMapping", caller, target: userName, connectionKey: connectionKey) {
            () throws(DomainError) in
            try caller.require(.userAdmin, to: "remove mappings")
            try storeCall { () throws(StoreError) in try store.removeMapping(userName: userName, connectionKey: connectionKey) }
        }
    }

    /// A known caller may list their own mappings; anyone's needs USER_ADMIN.
    /// With no user named, a caller without USER_ADMIN gets their own.
    public func listMappings(_ filter: MappingFilter, caller: Caller) throws(DomainError) -> [IdentityMapping] {
        var filter = filter
        if !caller.holds(.userAdmin) {
            guard let own = caller.userName else {
                throw DomainError(.permissionDenied, "\(caller) has no Steward user and so no mappings; listing others' needs USER_ADMIN")
            }
            if let asked = filter.userName, asked != own {
                throw DomainError(.permissionDenied, "\(caller) may list only their own mappings: USER_ADMIN is required for \"\(asked)\"'s")
            }
            filter.userName = own
        }
        let chosen = filter
        return try storeCall { () throws(StoreError) in try store.listMappings(chosen) }
    }

    /// Sets every mapping of a CSV (`user,connection,kind,value`) or none:
    /// any bad row fails the call with INVALID_ARGUMENT listing every bad
    /// row by line.
    public func importMappings(csv: String, dryRun: Bool, caller: Caller) throws(DomainError) -> Int {
        try audit.audited(Self.path + "ImportMappings", caller, target: nil) { () throws(DomainError) in
            try caller.require(.userAdmin, to: "import mappings")
            let parsed = MappingImport(csv: csv)
            // One import is one write transaction, which holds the store
            // while it runs: a bound keeps every other call responsive.
            guard parsed.rows.count <= Self.maxImportRows else {
                throw .invalidArgument("csv", "\(parsed.rows.count) rows; at most \(Self.maxImportRows) are imported at once: split the file")
            }
            var problems = parsed.problems
            // The store's rules (users and connections exist, one username per
            // user per connection) are checked too when rows are already bad,
            // as a dry run, so that one answer names every bad row.
            do throws(StoreError) {
                let count = try store.importMappings(parsed.rows.map(\.mapping), dryRun: dryRun || !problems.isEmpty)
                if problems.isEmpty { return count }
            } catch where !error.itemFailures.isEmpty {
                problems += error.itemFailures.map { MappingImport.Problem(line: parsed.rows[$0.index].line, message: $0.error.message) }
            } catch {
                throw DomainError(error.code.status, error.message)
            }
            problems.sort { $0.line < $1.line }
            var report = problems.prefix(Self.maxReportedProblems).map { "line \($0.line): \($0.message)" }
            if problems.count > Self.maxReportedProblems {
                report.append("… and \(problems.count - Self.maxReportedProblems) more bad rows")
            }
            throw DomainError(
                .invalidArgument,
                "\(problems.count) bad \(problems.count == 1 ? "row" : "rows"); nothing was imported:\n"
                    + report.joined(separator: "\n"))
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


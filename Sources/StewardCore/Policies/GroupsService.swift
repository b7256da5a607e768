import StewardModel
import StewardStore

/// Groups of users, which subscription policies name as one subject
/// (USER_ADMIN manages them). Every mutating call, allowed or not, leaves an
/// audit event, written with the change in its transaction.
public struct GroupsService: Sendable {
    let store: any RegistryStore
    let audit: AuditTrail

    public init(store: any RegistryStore, audit: AuditTrail? = nil) {
        self.store = store
        self.audit = audit ?? AuditTrail(store: store)
    }

    public static let importColumns = ["group", "user"]

    /// `osGroup` empty: members are listed in Steward.
    public func create(name: String, osGroup: String, call: AuditedCall) throws(DomainError) -> GroupRecord {
        try audit.audited(call) { () throws(DomainError) in
            try call.caller.require(.userAdmin, to: "create groups")
            try IdentityRules.checkPlainName(name, field: "name")
            if !osGroup.isEmpty { try Self.checkOSGroupName(osGroup, field: "os_group") }
            return try storeCall { () throws(StoreError) in
                try store.createGroup(name: name, osGroup: osGroup.isEmpty ? nil : osGroup)
            }
        }
    }

    public func group(name: String) throws(DomainError) -> GroupRecord {
        try storeCall { () throws(StoreError) in try store.group(name: name) }
    }

    public func list(page: PageRequest) throws(DomainError) -> Page<GroupRecord> {
        try storeCall { () throws(StoreError) in try store.listGroups(page: page) }
    }

    public func addMembers(group: String, users: [String], call: AuditedCall) throws(DomainError) -> GroupRecord {
        try audit.audited(call) { () throws(DomainError) in
            try call.caller.require(.userAdmin, to: "change group members")
            guard !users.isEmpty else { throw .invalidArgument("user_names", "name at least one user") }
            for (index, user) in users.enumerated() { try IdentityRules.checkUserName(user, field: "user_names[\(index)]") }
            return try storeCall { () throws(StoreError) in try store.addGroupMembers(group: group, users: users) }
        }
    }

    public func removeMember(group: String, user: String, call: AuditedCall) throws(DomainError) -> GroupRecord {
        try audit.audited(call) { () throws(DomainError) in
            try call.caller.require(.userAdmin, to: "change group members")
            try IdentityRules.checkUserName(user, field: "user_name")
            return try storeCall { () throws(StoreError) in try store.removeGroupMember(group: group, user: user) }
        }
    }

    /// Removes the group from every policy that names it.
    public func delete(name: String, call: AuditedCall) throws(DomainError) {
        try audit.audited(call) { () throws(DomainError) in
            try call.caller.require(.userAdmin, to: "delete groups")
            try storeCall { () throws(StoreError) in try store.deleteGroup(name: name) }
        }
    }

    /// Adds every membership of a CSV (`group,user`) or none: any bad row
    /// fails the call with INVALID_ARGUMENT listing every bad row by line.
    public func importMembers(csv: String, dryRun: Bool, call: AuditedCall) throws(DomainError) -> Int {
        try audit.audited(call) { () throws(DomainError) in
            try call.caller.require(.userAdmin, to: "import group members")
            return try Self.membershipImport(csv: csv).apply(dryRun: dryRun) { rows, dryRun throws(StoreError) in
                try store.importGroupMemberships(rows, dryRun: dryRun)
            }
        }
    }

    /// A membership CSV read and checked row by row, before the store sees it.
    package static func membershipImport(csv: String) -> CSVImport<GroupMembership> {
        CSVImport(csv: csv, columns: importColumns, noun: "memberships") { fields throws(DomainError) in
            try IdentityRules.checkPlainName(fields[0], field: "group")
            try IdentityRules.checkUserName(fields[1], field: "user")
            return GroupMembership(group: fields[0], user: fields[1])
        }
    }

    /// An OS group name as NSS looks it up: 1 to 256 bytes, no control
    /// characters, no ':' (the group file's separator) or whitespace.
    static func checkOSGroupName(_ name: String, field: String) throws(DomainError) {
        guard name.utf8.count <= 256 else { throw .invalidArgument(field, "an OS group name is at most 256 bytes") }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == ":" || $0.properties.isWhitespace })
        else {
            throw .invalidArgument(field, "an OS group name has no ':', whitespace or control characters")
        }
    }
}

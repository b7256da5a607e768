import Foundation

/// A Steward group: a set of users that policies name as one subject.
///
/// A group either lists its members in the registry, or is bound to an OS
/// group (`osGroup`), whose members are read through NSS (so LDAP or SSSD
/// groups count) afresh on every enforcement run; a bound group has no
/// listed members.
public struct GroupRecord: Sendable, Hashable {
    public var name: String
    /// The OS group (as `getgrnam` knows it) whose members this group has.
    public var osGroup: String?
    /// Steward user names, sorted; empty for a group bound to an OS group.
    public var members: [String]
    public var createdAt: Date

    public init(name: String, osGroup: String?, members: [String], createdAt: Date) {
        self.name = name
        self.osGroup = osGroup
        self.members = members
        self.createdAt = createdAt
    }
}

/// One row of a membership import: `user` joins `group`.
public struct GroupMembership: Sendable, Hashable {
    public var group: String
    public var user: String

    public init(group: String, user: String) {
        self.group = group
        self.user = user
    }
}

import ArgumentParser

/// `steward group …`: groups of users that policies name as one subject.
struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "Manage groups of users (USER_ADMIN changes them).",
        discussion: """
            A group lists its members, or is bound to an OS group (--os-group): then its \
            members are the Steward users whose uid is in that group as NSS reports it \
            (files, LDAP, SSSD), read again on every enforcement run. See docs/policies.md.
            """,
        subcommands: [CreateGroup.self, ListGroups.self, ShowGroup.self, AddGroupMember.self, RemoveGroupMember.self, DeleteGroup.self, ImportGroupMembers.self])
}

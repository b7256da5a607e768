import ArgumentParser

/// `steward user …`: the people who use Steward and their permissions.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage Steward users and their permissions.",
        discussion: """
            A Steward user is the OS uid whose processes the kernel reports to the daemon; \
            nothing a client sends can claim another. Permissions are APPLICATION_ADMIN \
            (manage connections) and USER_ADMIN (manage users and mappings); without \
            either a user can read. See steward mapping for users' PostgreSQL identities.
            """,
        subcommands: [CreateUser.self, ListUsers.self, ShowUser.self, GrantPermission.self, RevokePermission.self, DeleteUser.self])
}

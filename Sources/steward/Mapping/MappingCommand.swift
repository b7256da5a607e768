import ArgumentParser

/// `steward mapping …`: which PostgreSQL identity each Steward user has.
struct MappingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping",
        abstract: "Manage the PostgreSQL identity of each Steward user.",
        discussion: """
            A user's default mapping applies on every connection; a mapping for one \
            connection (--connection KEY) overrides it there. Without any mapping the \
            PostgreSQL username is the Steward user name. An identity is a PostgreSQL \
            username, an AWS IAM principal ARN, UNSET (use the user name) or NONE (no \
            identity there).
            """,
        subcommands: [SetMapping.self, RemoveMapping.self, ListMappings.self, CheckMappings.self, ImportMappings.self])
}

import ArgumentParser

/// `steward policy …`: subscription policies and their enforcement.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Manage subscription policies (APPLICATION_ADMIN changes them) and enforce them.",
        discussion: """
            A policy gives users and groups READ (SELECT) or WRITE (SELECT, INSERT, UPDATE, \
            DELETE, TRUNCATE) on data sources: exact names (--source), or every table of a \
            connection, database or schema (--scope KEY[/DATABASE[/SCHEMA]]), including \
            tables synced later. Steward applies them as GRANT and REVOKE after every change \
            and on the recheck interval; `steward policy enforce KEY --dry-run` prints the plan. \
            See docs/policies.md.
            """,
        subcommands: [CreatePolicy.self, ListPolicies.self, ShowPolicy.self, UpdatePolicy.self, DeletePolicy.self, EnforcePolicies.self])
}

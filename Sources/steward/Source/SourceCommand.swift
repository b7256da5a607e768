import ArgumentParser

/// `steward source …`: the tables object sync found, as data sources.
struct SourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "List and show data sources: the tables object sync found.",
        discussion: """
            A data source is a table (or view) a connection's role can select from, named \
            <connection key>.<database>.<schema>.<table>. steward connection sync KEY finds \
            them; one that a later sync no longer finds is kept, DISABLED. Any Steward user \
            may read them.
            """,
        subcommands: [ListSources.self, ShowSource.self])
}

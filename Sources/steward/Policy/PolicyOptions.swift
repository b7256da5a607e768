import ArgumentParser
import StewardWire

/// What a policy says, as create and update take it from the command line.
struct PolicyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("READ or WRITE.", valueName: "access"), transform: PolicyOptions.access)
    var access: StewardV1.PolicyAccess?
    @Option(name: .customLong("source"), help: ArgumentHelp("A data source by name (repeat for more).", valueName: "name"))
    var sources: [String] = []
    @Option(name: .customLong("scope"),
            help: ArgumentHelp("Every table of KEY, KEY/DATABASE or KEY/DATABASE/SCHEMA (repeat for more).", valueName: "scope"),
            transform: PolicyOptions.scope)
    var scopes: [StewardV1.DataSourceScope] = []
    @Option(name: .customLong("user"), help: ArgumentHelp("A subject user (repeat for more).", valueName: "name"))
    var users: [String] = []
    @Option(name: .customLong("group"), help: ArgumentHelp("A subject group (repeat for more).", valueName: "name"))
    var groups: [String] = []

    var subjects: [StewardV1.PolicySubject] {
        users.map { StewardV1.PolicySubject(subject: .userName($0)) } + groups.map { StewardV1.PolicySubject(subject: .groupName($0)) }
    }

    func policy(named name: String) -> StewardV1.Policy {
        StewardV1.Policy(name: name, access: access ?? .unspecified, dataSources: sources, scopes: scopes, subjects: subjects)
    }

    /// The update paths of the options given: subjects are replaced as a
    /// whole when --user or --group is given.
    var updatePaths: [String] {
        var paths: [String] = []
        if access != nil { paths.append("access") }
        if !sources.isEmpty { paths.append("data_sources") }
        if !scopes.isEmpty { paths.append("scopes") }
        if !users.isEmpty || !groups.isEmpty { paths.append("subjects") }
        return paths
    }

    static func access(_ text: String) throws -> StewardV1.PolicyAccess {
        switch text.uppercased() {
        case "READ": .read
        case "WRITE": .write
        default: throw ValidationError("access must be READ or WRITE, not \"\(text)\"")
        }
    }

    /// KEY[/DATABASE[/SCHEMA]]: connection keys hold no '/', and a schema
    /// may (everything after the second '/').
    static func scope(_ text: String) throws -> StewardV1.DataSourceScope {
        let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard !parts[0].isEmpty, !parts.dropFirst().contains(where: \.isEmpty) else {
            throw ValidationError("a scope is KEY, KEY/DATABASE or KEY/DATABASE/SCHEMA, not \"\(text)\"")
        }
        return StewardV1.DataSourceScope(
            connectionKey: parts[0], database: parts.count > 1 ? parts[1] : "", schema: parts.count > 2 ? parts[2] : "")
    }
}

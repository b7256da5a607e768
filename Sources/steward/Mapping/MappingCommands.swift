import ArgumentParser
import StewardWire

struct SetMapping: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Set a user's PostgreSQL identity, by default or on one connection.",
        discussion: "Give exactly one of --postgres-username, --iam-principal, --unset or --none.")

    @OptionGroup var options: ClientOptions
    @Argument(help: ArgumentHelp("The Steward user.", valueName: "user"))
    var user: String
    @OptionGroup var identity: IdentityOptions
    @Option(help: ArgumentHelp("Only on this connection; without it, the user's default.", valueName: "key"))
    var connection: String?

    func run() async throws {
        let mapping = StewardV1.Mapping(userName: user, connectionKey: connection ?? "", identity: identity.identity)
        let response = try await options.call(StewardV1.Users.setMapping, .init(mapping: mapping))
        options.emit(response) { MappingText.sentence(response.mapping ?? mapping) }
    }
}

struct RemoveMapping: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a user's default mapping, or its mapping on one connection.")

    @OptionGroup var options: ClientOptions
    @Argument(help: ArgumentHelp("The Steward user.", valueName: "user"))
    var user: String
    @Option(help: ArgumentHelp("The connection whose mapping goes; without it, the default.", valueName: "key"))
    var connection: String?

    func run() async throws {
        let response = try await options.call(
            StewardV1.Users.removeMapping, .init(userName: user, connectionKey: connection ?? ""))
        options.emit(response) {
            connection.map { "removed \(user)'s mapping on \($0)" } ?? "removed \(user)'s default mapping"
        }
    }
}

struct ListMappings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List mappings (yours, or anyone's with USER_ADMIN).")

    @OptionGroup var options: ClientOptions
    @Option(help: ArgumentHelp("Only this user's mappings.", valueName: "user"))
    var user: String?
    @Option(help: ArgumentHelp("Only the mappings on this connection.", valueName: "key"))
    var connection: String?
    @Flag(name: .customLong("defaults-only"), help: "Only default mappings.")
    var defaultsOnly = false

    func validate() throws {
        if defaultsOnly, connection != nil {
            throw ValidationError("--defaults-only and --connection cannot be combined")
        }
    }

    /// Follows the pages, so the list (and `--json`) is complete.
    func run() async throws {
        let request = StewardV1.ListMappingsRequest(
            userName: user ?? "", connectionKey: connection ?? "", defaultsOnly: defaultsOnly)
        let all = try await options.fetchPages(StewardV1.Users.listMappings, request).items
        let everything = StewardV1.ListMappingsResponse(mappings: all)
        options.emit(everything) { MappingText.table(all) }
    }
}

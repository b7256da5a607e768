import ArgumentParser
import StewardWire

struct ListSources: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List data sources, by name.")

    @OptionGroup var options: ClientOptions
    @Option(help: ArgumentHelp("Only this connection's.", valueName: "key"))
    var connection: String?
    @Option(help: ArgumentHelp("Only names starting with this text, compared exactly (no wildcards).", valueName: "text"))
    var prefix: String?
    @Option(help: ArgumentHelp("Only enabled or disabled ones.", valueName: "state"), transform: SourceStateName.parse)
    var state: StewardV1.DataSourceState?

    func run() async throws {
        let request = StewardV1.ListDataSourcesRequest(
            connectionKey: connection ?? "", namePrefix: prefix ?? "", state: state ?? .unspecified,
            // The most the daemon gives at once: a server can hold thousands
            // of tables, and every page is a call of its own.
            pageSize: UInt32(ClientOptions.largestPage))
        let all = try await options.fetchPages(StewardV1.DataSources.list, request).items
        let everything = StewardV1.ListDataSourcesResponse(dataSources: all)
        options.emit(everything) { SourceText.table(all) }
    }
}

struct ShowSource: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a data source, its columns and its subscribers.")

    @OptionGroup var options: ClientOptions
    @Argument(help: ArgumentHelp("<connection key>.<database>.<schema>.<table>, as source list prints it.", valueName: "name"))
    var name: String

    func run() async throws {
        let response = try await options.call(StewardV1.DataSources.get, .init(name: name))
        let subscribers = try await options.call(StewardV1.Policies.listSubscribers, .init(dataSource: name))
        // The JSON form stays the data source as DataSources.Get gives it.
        options.emit(response) {
            SourceText.detail(response.dataSource ?? .init()) + "\n\nsubscribers\n" + PolicyText.subscribers(subscribers.subscribers)
        }
    }
}

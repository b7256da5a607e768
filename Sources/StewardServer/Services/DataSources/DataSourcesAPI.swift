import StewardCore
import StewardStore
import StewardWire

/// `steward.v1.DataSources`: the RPC face of ``DataSourceDirectory``.
public enum DataSourcesAPI {
    public static func register(in router: inout Router, directory: DataSourceDirectory) {
        router.register(StewardV1.DataSources.list, policy: .requires(.knownCaller)) { request, _ in
            let filter = DataSourceFilter(
                connectionKey: request.connectionKey.isEmpty ? nil : request.connectionKey,
                namePrefix: request.namePrefix.isEmpty ? nil : request.namePrefix,
                state: try DataSourcesMapping.state(request.state))
            let page = try directory.list(
                filter, page: PageRequest(size: Int(request.pageSize), token: request.pageToken.isEmpty ? nil : request.pageToken))
            return StewardV1.ListDataSourcesResponse(
                dataSources: page.items.map(DataSourcesMapping.message), nextPageToken: page.nextPageToken ?? "")
        }
        router.registerRead(StewardV1.DataSources.get, policy: .requires(.knownCaller)) { request, _ in
            StewardV1.GetDataSourceResponse(dataSource: DataSourcesMapping.message(try directory.dataSource(name: request.name)))
        }
    }
}

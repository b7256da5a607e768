import StewardCore
import StewardStore
import StewardWire

/// `steward.v1.DataSources` and `steward.v1.Connections/Sync`: the RPC face
/// of ``DataSourceDirectory`` and ``SyncService``.
public enum DataSourcesAPI {
    public static func register(in router: inout Router, directory: DataSourceDirectory, sync: SyncService) {
        router.register(StewardV1.DataSources.list) { request, _ in
            let filter = DataSourceFilter(
                connectionKey: request.connectionKey.isEmpty ? nil : request.connectionKey,
                namePrefix: request.namePrefix.isEmpty ? nil : request.namePrefix,
                state: try DataSourcesMapping.state(request.state))
            let page = try directory.list(
                filter, page: PageRequest(size: Int(request.pageSize), token: request.pageToken.isEmpty ? nil : request.pageToken))
            return StewardV1.ListDataSourcesResponse(
                dataSources: page.items.map(DataSourcesMapping.message), nextPageToken: page.nextPageToken ?? "")
        }
        router.register(StewardV1.DataSources.get) { request, _ in
            StewardV1.GetDataSourceResponse(dataSource: DataSourcesMapping.message(try directory.dataSource(name: request.name)))
        }
        router.register(StewardV1.Connections.sync) { request, context, stream in
            let outcome = try await sync.sync(
                key: request.key, caller: context.caller,
                deadline: context.databaseDeadline(orAfter: SyncService.defaultMilliseconds)
            ) { (event) async throws(DomainError) in
                do {
                    try await stream.send(DataSourcesMapping.progress(event))
                } catch {
                    // The call ended (cancelled, deadline, connection gone): stop scanning.
                    throw DomainError(.cancelled, "the sync's call ended")
                }
            }
            try await stream.send(DataSourcesMapping.progress(outcome))
        }
    }
}

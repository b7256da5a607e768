import StewardWire

/// A list request the daemon answers a page at a time.
protocol PagedRequest: ProtoMessage {
    var pageSize: UInt32 { get set }
    var pageToken: String { get set }
}

/// One page of a list, and the token of the next one (empty on the last).
protocol PagedResponse: ProtoMessage {
    associatedtype Item
    var items: [Item] { get }
    var nextPageToken: String { get }
}

extension ClientOptions {
    /// The most items the daemon gives in one page.
    static let largestPage = 1000

    /// Follows a list's pages from `request` on, so the list (and `--json`)
    /// is complete; with `limit`, stops at that many items. The token left
    /// over is empty unless `limit` cut the list short.
    func fetchPages<Request: PagedRequest, Response: PagedResponse>(
        _ method: UnaryMethod<Request, Response>, _ request: Request, limit: Int? = nil
    ) async throws -> (items: [Response.Item], nextPageToken: String) {
        var request = request
        var items: [Response.Item] = []
        repeat {
            let wanted = limit.map { $0 - items.count }
            if let wanted { request.pageSize = UInt32(min(wanted, Self.largestPage)) }
            let page = try await call(method, request)
            items += page.items.prefix(wanted ?? page.items.count)
            request.pageToken = page.nextPageToken
            // An empty page that still names a next one would loop forever.
            if page.items.isEmpty { break }
        } while !request.pageToken.isEmpty && items.count < limit ?? .max
        return (items, request.pageToken)
    }
}

extension StewardV1.ListConnectionsRequest: PagedRequest {}
extension StewardV1.ListConnectionsResponse: PagedResponse {
    var items: [StewardV1.Connection] { connections }
}

extension StewardV1.ListUsersRequest: PagedRequest {}
extension StewardV1.ListUsersResponse: PagedResponse {
    var items: [StewardV1.User] { users }
}

extension StewardV1.ListMappingsRequest: PagedRequest {}
extension StewardV1.ListMappingsResponse: PagedResponse {
    var items: [StewardV1.Mapping] { mappings }
}

extension StewardV1.ListDataSourcesRequest: PagedRequest {}
extension StewardV1.ListDataSourcesResponse: PagedResponse {
    var items: [StewardV1.DataSource] { dataSources }
}

extension StewardV1.ListAuditEventsRequest: PagedRequest {}
extension StewardV1.ListAuditEventsResponse: PagedResponse {
    var items: [StewardV1.AuditEvent] { events }
}

extension StewardV1.ListGroupsRequest: PagedRequest {}
extension StewardV1.ListGroupsResponse: PagedResponse {
    var items: [StewardV1.Group] { groups }
}

extension StewardV1.ListPoliciesRequest: PagedRequest {}
extension StewardV1.ListPoliciesResponse: PagedResponse {
    var items: [StewardV1.Policy] { policies }
}

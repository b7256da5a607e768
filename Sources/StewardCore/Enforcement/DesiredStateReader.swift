import StewardStore

/// Reads what ``DesiredState`` is computed from, for one connection: every
/// policy and group, the members of bound OS groups as NSS has them now,
/// every user's identity on the connection, and its ENABLED data sources.
public struct DesiredStateReader: Sendable {
    let store: any RegistryStore
    let osGroups: OSGroupDirectory

    public init(store: any RegistryStore, osGroups: OSGroupDirectory = OSGroupDirectory()) {
        self.store = store
        self.osGroups = osGroups
    }

    public func sources(for record: ConnectionRecord) throws(DomainError) -> DesiredState.Sources {
        try storeCall { () throws(StoreError) in
            let groups = try store.allGroups()
            let bound = Set(groups.compactMap(\.osGroup))
            let osMembers = bound.isEmpty ? [:] : osGroups.members(of: bound, among: try allPages { (page) throws(StoreError) in try store.listUsers(page: page) })
            return DesiredState.Sources(
                connectionKey: record.key, provisionMissingRoles: record.settings.provisionMissingRoles,
                policies: try store.allPolicies(), groups: groups, osGroupMembers: osMembers,
                identities: try store.effectiveIdentities(connectionKey: record.key, userName: nil),
                dataSources: try allPages { (page) throws(StoreError) in
                    try store.listDataSources(DataSourceFilter(connectionKey: record.key, state: .enabled), page: page)
                })
        }
    }

    public func desiredState(for record: ConnectionRecord) throws(DomainError) -> DesiredState {
        DesiredState(try sources(for: record))
    }

    private func allPages<Item>(_ read: (PageRequest) throws(StoreError) -> Page<Item>) throws(StoreError) -> [Item] {
        var items: [Item] = []
        var token: String?
        repeat {
            let page = try read(PageRequest(size: PageRequest.maximumSize, token: token))
            items += page.items
            token = page.nextPageToken
        } while token != nil
        return items
    }
}

import StewardStore

/// Reading the data sources sync has found: for any known caller.
public struct DataSourceDirectory: Sendable {
    let store: any RegistryStore

    public init(store: any RegistryStore) { self.store = store }

    /// By name. Filtering by a connection that does not exist is NOT_FOUND,
    /// not an empty list, so that a mistyped key does not pass for "no tables".
    public func list(_ filter: DataSourceFilter, page: PageRequest) throws(DomainError) -> Page<DataSourceRecord> {
        try storeCall { () throws(StoreError) in
            if let key = filter.connectionKey { _ = try store.connection(key: key) }
            return try store.listDataSources(filter, page: page)
        }
    }

    public func dataSource(name: String) throws(DomainError) -> DataSourceRecord {
        try storeCall { () throws(StoreError) in try store.dataSource(name: name) }
    }
}

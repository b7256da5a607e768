import Foundation
import StewardModel

/// Reading data sources and schema digests: the public methods of both
/// stores, over their own read transactions (the SQL is in
/// DataSourceQueries). Each store keeps its own `syncDataSources`.
extension SQLTransactionStore {
    public func schemaDigests(connectionKey: String) throws(StoreError) -> [SchemaDigestRecord] {
        try sqlRead { session in try DataSourceQueries.schemaDigests(connectionKey: connectionKey, in: session) }
    }

    public func enabledDataSourceDatabases(connectionKey: String) throws(StoreError) -> Set<String> {
        try sqlRead { session in try DataSourceQueries.enabledDatabases(connectionKey: connectionKey, in: session) }
    }

    public func dataSource(name: String) throws(StoreError) -> DataSourceRecord {
        try sqlRead { session in try DataSourceQueries.load(name: name, in: session) }
    }

    public func listDataSources(_ filter: DataSourceFilter, page: PageRequest) throws(StoreError)
        -> Page<DataSourceRecord>
    {
        try sqlRead { session in try DataSourceQueries.list(filter, page: page, in: session) }
    }
}

/// A table's identity within a connection: what a sync matches found tables
/// and stored data sources on, in every backend.
struct TableKey: Hashable {
    var database: String
    var schema: String
    var table: String

    init(_ table: DiscoveredTable) {
        self.database = table.database
        self.schema = table.schema
        self.table = table.table
    }

    init(database: String, schema: String, table: String) {
        self.database = database
        self.schema = schema
        self.table = table
    }
}

extension DiscoveredTable {
    /// What every backend refuses in a sync's input, with the same words:
    /// a table of a database the sync did not scan, a table listed twice.
    static func checkSyncInput(_ tables: [DiscoveredTable], scannedDatabases: Set<String>) throws(StoreError) {
        var seen = Set<TableKey>(minimumCapacity: tables.count)
        for table in tables {
            guard scannedDatabases.contains(table.database) else {
                throw StoreError(
                    .invalidArgument,
                    "table \(table.schema).\(table.table) is in database \"\(table.database)\", "
                        + "which the sync did not scan")
            }
            guard seen.insert(TableKey(table)).inserted else {
                throw StoreError(
                    .invalidArgument,
                    "table \(table.database).\(table.schema).\(table.table) was listed twice")
            }
        }
    }
}

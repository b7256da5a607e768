import Foundation
import StewardModel

public enum DataSourceState: String, Sendable, Hashable, CaseIterable {
    case enabled = "ENABLED"
    /// The table was not found by the last sync; kept, not deleted.
    case disabled = "DISABLED"
}

public struct ColumnRecord: Sendable, Hashable {
    public var name: String
    /// The type as PostgreSQL formats it (`format_type`).
    public var type: String
    /// 1-based, as `attnum` orders them.
    public var position: Int

    public init(name: String, type: String, position: Int) {
        self.name = name
        self.type = type
        self.position = position
    }
}

/// A table that a sync found on the live database.
public struct DiscoveredTable: Sendable, Hashable {
    public var database: String
    public var schema: String
    public var table: String
    public var kind: RelationKind
    /// The connection's role holds what governance needs of this kind of
    /// relation (``RelationKind``), and may grant USAGE on its schema.
    public var governable: Bool
    public var columns: [ColumnRecord]

    public init(
        database: String, schema: String, table: String, kind: RelationKind = .table, governable: Bool = true,
        columns: [ColumnRecord]
    ) {
        self.database = database
        self.schema = schema
        self.table = table
        self.kind = kind
        self.governable = governable
        self.columns = columns
    }
}

public struct DataSourceRecord: Sendable, Hashable {
    /// `<connection key>.<database>.<schema>.<table>`, names as PostgreSQL
    /// stores them. Names containing dots can make two data sources share a
    /// name; the four parts are what is unique.
    public var name: String
    public var connectionKey: String
    public var database: String
    public var schema: String
    public var table: String
    public var state: DataSourceState
    /// nil: synced before kinds were recorded; the next sync records it.
    public var kind: RelationKind?
    /// Whether Steward governs it: the connection's role held what its kind
    /// needs when a sync found it (or when an earlier sync did: once
    /// governed, a data source stays governed until its table is dropped, so
    /// that a privilege lost later shows as the connection's failure, not
    /// as a data source quietly left alone). A relation that appeared after
    /// setup without them is stored not governable yet (docs/connections.md).
    public var governable: Bool
    public var columns: [ColumnRecord]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        name: String, connectionKey: String, database: String, schema: String, table: String,
        state: DataSourceState, kind: RelationKind? = nil, governable: Bool = true, columns: [ColumnRecord],
        createdAt: Date, updatedAt: Date
    ) {
        self.name = name
        self.connectionKey = connectionKey
        self.database = database
        self.schema = schema
        self.table = table
        self.state = state
        self.kind = kind
        self.governable = governable
        self.columns = columns
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public static func name(connectionKey: String, database: String, schema: String, table: String)
        -> String
    {
        "\(connectionKey).\(database).\(schema).\(table)"
    }
}

/// What a sync changed. A sync that finds no change writes nothing.
public struct DataSourceSyncSummary: Sendable, Hashable {
    public var added: [String] = []
    /// Column lists changed, or a DISABLED data source was found again.
    public var updated: [String] = []
    public var disabled: [String] = []
    public var unchanged: Int = 0

    public init(added: [String] = [], updated: [String] = [], disabled: [String] = [], unchanged: Int = 0) {
        self.added = added
        self.updated = updated
        self.disabled = disabled
        self.unchanged = unchanged
    }

    public var isEmpty: Bool { added.isEmpty && updated.isEmpty && disabled.isEmpty }
}

public struct DataSourceFilter: Sendable, Hashable {
    public var connectionKey: String?
    /// Matched exactly, case-sensitively; `*`, `?`, `%` and `_` are plain characters.
    public var namePrefix: String?
    public var state: DataSourceState?

    public init(connectionKey: String? = nil, namePrefix: String? = nil, state: DataSourceState? = nil) {
        self.connectionKey = connectionKey
        self.namePrefix = namePrefix
        self.state = state
    }
}

extension StoreError {
    /// Dots in database, schema or table names can give two data sources one
    /// name; the four parts are what is unique, so a bare name cannot choose.
    static func ambiguousDataSourceName(_ name: String) -> StoreError {
        StoreError(
            .failedPrecondition,
            "more than one data source is named \"\(name)\" (dots in database, schema or table names make names "
                + "collide): list the connection's data sources and tell them apart by database, schema and table")
    }
}

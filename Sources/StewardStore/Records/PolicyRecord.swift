import Foundation
import StewardModel

/// Which data sources a policy covers.
public enum DataSourceSelector: Sendable, Hashable, Comparable {
    /// One data source by its full name (`key.database.schema.table`).
    case dataSource(String)
    /// Every data source of a connection, or of one of its databases, or of
    /// one schema there, including tables a later sync adds.
    case scope(connection: String, database: String?, schema: String?)

    public static func < (lhs: DataSourceSelector, rhs: DataSourceSelector) -> Bool {
        lhs.sortKey.lexicographicallyPrecedes(rhs.sortKey)
    }

    private var sortKey: [String] {
        switch self {
        case .dataSource(let name): ["0", name]
        case .scope(let connection, let database, let schema): ["1", connection, database ?? "", schema ?? ""]
        }
    }

    /// The connection the selector is about: a scope's, or the first part of
    /// a data source name (connection keys contain no '.').
    public var connectionKey: String {
        switch self {
        case .dataSource(let name): String(name.prefix { $0 != "." })
        case .scope(let connection, _, _): connection
        }
    }

    /// Whether `relation` of connection `connectionKey` with data source
    /// name `name` is covered.
    public func covers(connectionKey: String, database: String, schema: String, name: String) -> Bool {
        switch self {
        case .dataSource(let selected): selected == name
        case .scope(let connection, let scopeDatabase, let scopeSchema):
            connection == connectionKey && (scopeDatabase.map { $0 == database } ?? true)
                && (scopeSchema.map { $0 == schema } ?? true)
        }
    }
}

/// Who a policy gives access to.
public enum PolicySubject: Sendable, Hashable, Comparable {
    case user(String)
    case group(String)

    public static func < (lhs: PolicySubject, rhs: PolicySubject) -> Bool {
        switch (lhs, rhs) {
        case (.user(let a), .user(let b)), (.group(let a), .group(let b)): a < b
        case (.user, .group): true
        case (.group, .user): false
        }
    }
}

/// What a policy says, as written by its administrator.
public struct PolicyDefinition: Sendable, Hashable {
    public var name: String
    public var access: PolicyAccess
    /// Sorted, without duplicates.
    public var selectors: [DataSourceSelector]
    /// Sorted, without duplicates.
    public var subjects: [PolicySubject]

    public init(name: String, access: PolicyAccess, selectors: [DataSourceSelector], subjects: [PolicySubject]) {
        self.name = name
        self.access = access
        self.selectors = Array(Set(selectors)).sorted()
        self.subjects = Array(Set(subjects)).sorted()
    }
}

/// A stored policy.
public struct PolicyRecord: Sendable, Hashable {
    public var definition: PolicyDefinition
    /// 1 when created; each update adds one.
    public var revision: Int64
    public var createdAt: Date
    public var updatedAt: Date

    public init(definition: PolicyDefinition, revision: Int64, createdAt: Date, updatedAt: Date) {
        self.definition = definition
        self.revision = revision
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var name: String { definition.name }
}

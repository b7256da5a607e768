import StewardModel
import StewardPostgres

/// An object Steward grants privileges on.
public enum GrantedObject: Sendable, Hashable, Comparable {
    case database(String)
    case schema(String)
    case relation(schema: String, name: String)

    /// Its kind's word in SQL (`ON DATABASE`, `ON SCHEMA`, `ON TABLE`) and
    /// in the state record.
    public var kindWord: String {
        switch self {
        case .database: "DATABASE"
        case .schema: "SCHEMA"
        case .relation: "TABLE"
        }
    }

    /// The privileges Steward grants and revokes on objects of this kind,
    /// in the order it writes them; any other privilege is never touched.
    var managedPrivileges: [String] {
        switch self {
        case .database: ["CONNECT"]
        case .schema: ["USAGE"]
        case .relation: RelationKind.tablePrivileges
        }
    }

    /// The quoted name, safe in SQL and in a message whatever it holds.
    public var quotedName: String {
        switch self {
        case .database(let name), .schema(let name): SQLQuoting.identifier(name)
        case .relation(let schema, let name): SQLQuoting.qualified(schema, name)
        }
    }

    /// The record's (schema, name) columns for it.
    var recordColumns: (schema: String, name: String) {
        switch self {
        case .database(let name), .schema(let name): ("", name)
        case .relation(let schema, let name): (schema, name)
        }
    }

    init?(kindWord: String, schema: String, name: String) {
        switch kindWord {
        case "DATABASE": self = .database(name)
        case "SCHEMA": self = .schema(name)
        case "TABLE": self = .relation(schema: schema, name: name)
        default: return nil
        }
    }

    /// Databases first, then schemas, then relations: the order grants are
    /// written in (revokes in the reverse).
    private var rank: Int {
        switch self {
        case .database: 0
        case .schema: 1
        case .relation: 2
        }
    }

    public static func < (lhs: GrantedObject, rhs: GrantedObject) -> Bool {
        switch (lhs, rhs) {
        case (.database(let left), .database(let right)), (.schema(let left), .schema(let right)):
            return left < right
        case (.relation(let leftSchema, let leftName), .relation(let rightSchema, let rightName)):
            return leftSchema != rightSchema ? leftSchema < rightSchema : leftName < rightName
        default:
            return lhs.rank < rhs.rank
        }
    }
}

/// One role's privileges on one object.
public struct GrantKey: Sendable, Hashable, Comparable {
    public var object: GrantedObject
    public var role: String

    public init(object: GrantedObject, role: String) {
        self.object = object
        self.role = role
    }

    public static func < (lhs: GrantKey, rhs: GrantKey) -> Bool {
        lhs.object != rhs.object ? lhs.object < rhs.object : lhs.role < rhs.role
    }
}

/// Privileges per (object, role).
public typealias GrantSet = [GrantKey: Set<String>]

/// What the state database says Steward granted in one database.
public struct RecordedGrants: Sendable, Equatable {
    /// Confirmed: committed together with (after) the grants.
    public var applied: GrantSet = [:]
    /// Intent written before a transaction whose outcome was not confirmed:
    /// Steward's if the catalog shows the connection role granted it.
    public var pending: GrantSet = [:]

    public init(applied: GrantSet = [:], pending: GrantSet = [:]) {
        self.applied = applied
        self.pending = pending
    }

    /// Applied or pending: what Steward may have granted.
    func any(_ key: GrantKey) -> Set<String> {
        (applied[key] ?? []).union(pending[key] ?? [])
    }

    var keys: Set<GrantKey> { Set(applied.keys).union(pending.keys) }
}

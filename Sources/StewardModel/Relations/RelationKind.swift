/// The kinds of relation Steward governs (`pg_class.relkind`), and what
/// governance needs of each: the one statement of the per-kind requirements
/// that validation checks, the setup script grants and sync records
/// (docs/connections.md, "What each kind of relation needs").
///
/// Tables and partitioned tables can be written to and can have row level
/// security enabled, so Steward needs all five table privileges WITH GRANT
/// OPTION and the right to ALTER them. Views, materialized views and
/// foreign tables are read-only for governance (write policies grant SELECT
/// alone on them) and row security cannot be enabled on them even by their
/// owner, so Steward needs SELECT WITH GRANT OPTION and nothing else.
///
/// Partitions (`relispartition`) are not governed separately: PostgreSQL
/// checks privileges and row security on the partitioned table a query
/// names, so access granted on it covers its partitions, while a partition
/// queried directly needs grants of its own, which Steward never makes.
public enum RelationKind: String, Sendable, Hashable, CaseIterable {
    case table = "TABLE"
    case partitionedTable = "PARTITIONED_TABLE"
    case view = "VIEW"
    case materializedView = "MATERIALIZED_VIEW"
    case foreignTable = "FOREIGN_TABLE"

    /// The privileges a policy can grant on every kind.
    public static let tablePrivileges = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]

    /// `pg_class.relkind`'s letter.
    public var relkind: Character {
        switch self {
        case .table: "r"
        case .partitionedTable: "p"
        case .view: "v"
        case .materializedView: "m"
        case .foreignTable: "f"
        }
    }

    public init?(relkind: String) {
        guard let kind = Self.allCases.first(where: { String($0.relkind) == relkind }) else { return nil }
        self = kind
    }

    /// Tables and partitioned tables: written to, and row security applies.
    public var isWritable: Bool { self == .table || self == .partitionedTable }

    /// The privileges Steward must hold WITH GRANT OPTION (or own the
    /// relation), in the order PostgreSQL's GRANT lists them.
    public var requiredPrivileges: [String] { isWritable ? Self.tablePrivileges : ["SELECT"] }

    /// What a policy's `access` becomes on a relation of this kind: READ is
    /// SELECT on every kind; WRITE is the five table privileges on what can
    /// be written, and SELECT alone on the read-only kinds (a materialized
    /// view cannot be written, and whether a view or a foreign table accepts
    /// writes depends on its definition or wrapper, which a policy on a data
    /// source does not know). Enforcement's planner asks only this.
    public func privileges(for access: PolicyAccess) -> Set<String> {
        access == .read ? ["SELECT"] : Set(requiredPrivileges)
    }

    /// Whether Steward must be able to ALTER it (ownership, or membership
    /// in the owning role): `ENABLE ROW LEVEL SECURITY` and `CREATE POLICY`.
    public var needsAlter: Bool { isWritable }

    /// How messages name one, and several: "table", "views".
    public var noun: String {
        switch self {
        case .table, .partitionedTable: "table"
        case .view: "view"
        case .materializedView: "materialized view"
        case .foreignTable: "foreign table"
        }
    }

    /// `pg_class.relkind` values of the kinds that need ALTER, and of all
    /// kinds, as SQL lists: `('r', 'p')`.
    public static func sqlList(_ kinds: [RelationKind]) -> String {
        "(" + kinds.map { "'\($0.relkind)'" }.joined(separator: ", ") + ")"
    }

    public static let writable = allCases.filter(\.isWritable)
    public static let readOnly = allCases.filter { !$0.isWritable }
}

/// Counts of relations by how messages name them: "3 tables and 1 view".
public struct RelationCounts: Sendable, Hashable {
    private var counts: [String: Int] = [:]

    public init() {}

    public mutating func add(_ kind: RelationKind) {
        counts[kind.noun, default: 0] += 1
    }

    public var total: Int { counts.values.reduce(0, +) }
    public var isEmpty: Bool { total == 0 }

    /// The count of one noun.
    public func count(of kind: RelationKind) -> Int { counts[kind.noun] ?? 0 }

    /// "3 tables, 1 view and 2 foreign tables", in the kinds' order; "no
    /// relations" when empty.
    public var description: String {
        var seen: [String] = []
        for kind in RelationKind.allCases where !seen.contains(kind.noun) { seen.append(kind.noun) }
        let parts = seen.compactMap { noun -> String? in
            guard let count = counts[noun], count > 0 else { return nil }
            return "\(count) \(noun)\(count == 1 ? "" : "s")"
        }
        switch parts.count {
        case 0: return "no relations"
        case 1: return parts[0]
        default: return parts.dropLast().joined(separator: ", ") + " and " + parts.last!
        }
    }
}

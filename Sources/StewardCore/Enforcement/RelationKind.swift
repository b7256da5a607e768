import StewardModel

/// The kinds of relation a data source can be (`pg_class.relkind`), and the
/// privileges each access type becomes on each: the one place that decides it.
///
/// | kind | READ | WRITE |
/// |---|---|---|
/// | ordinary table (`r`), partitioned table (`p`) | SELECT | SELECT, INSERT, UPDATE, DELETE, TRUNCATE |
/// | view (`v`), materialized view (`m`), foreign table (`f`) | SELECT | SELECT |
///
/// Views, materialized views and foreign tables are treated as read-only:
/// a materialized view cannot be written at all, and whether a view or a
/// foreign table accepts writes depends on its definition or its wrapper,
/// which a policy on a data source does not know about.
public enum RelationKind: Character, Sendable, Hashable, CaseIterable {
    case table = "r"
    case partitionedTable = "p"
    case view = "v"
    case materializedView = "m"
    case foreignTable = "f"

    /// The privileges Steward manages on relations, in the order it writes them.
    public static let managedPrivileges = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]

    /// What `access` becomes on a relation of this kind.
    public func privileges(for access: PolicyAccess) -> Set<String> {
        switch (self, access) {
        case (_, .read), (.view, .write), (.materializedView, .write), (.foreignTable, .write):
            ["SELECT"]
        case (.table, .write), (.partitionedTable, .write):
            Set(Self.managedPrivileges)
        }
    }
}

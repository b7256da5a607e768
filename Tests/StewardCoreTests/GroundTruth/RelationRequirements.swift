/// What governance needs of each kind of relation: the rule the checks
/// implement, in one place, so that the ground-truth matrix derives every
/// expected verdict from it and from what the role was seen to do.
///
/// ## Switching the rule
/// Issue #12 item 3 (branch `validation`) makes the requirement per kind:
/// tables and partitioned tables keep the five privileges WITH GRANT OPTION
/// and ALTER TABLE (enabling row level security); views, materialized views
/// and foreign tables need SELECT WITH GRANT OPTION only. Until that change
/// is merged the checks still judge every relation like a table, so
/// ``active`` is ``RequirementRule/everyKindLikeATable``. When it merges,
/// set ``active`` to ``RequirementRule/perKind``: the cases tagged
/// ``GroundTruthCase/Tag/perKindRule`` are those whose verdict changes.
enum RelationRequirements {
    static let active: RequirementRule = .everyKindLikeATable
}

enum RequirementRule {
    /// Every relation judged as a table (the checks before issue #12 item 3).
    case everyKindLikeATable
    /// Tables and partitioned tables as before; views, materialized views
    /// and foreign tables SELECT WITH GRANT OPTION only (issue #12 item 3).
    case perKind

    /// What a relation of `kind` needs under this rule; nil: not judged
    /// (under the per-kind rule a partition is governed through its parent).
    func requirement(for kind: ProbedRelationKind, isPartition: Bool) -> RelationRequirement? {
        if self == .perKind && isPartition { return nil }
        return switch (self, kind) {
        case (_, .table), (_, .partitionedTable):
            RelationRequirement(privileges: RelationRequirement.allPrivileges, alter: .enableRowLevelSecurity)
        case (.everyKindLikeATable, _):
            // Row security cannot be enabled on these even by their owner;
            // the old rule asked for ownership, so ownership is what is tried.
            RelationRequirement(privileges: RelationRequirement.allPrivileges, alter: .ownership)
        case (.perKind, _):
            RelationRequirement(privileges: ["SELECT"], alter: nil)
        }
    }
}

/// `pg_class.relkind` of the relations the checks look at, as the probe
/// reads it (named apart from StewardModel's `RelationKind`, which the
/// per-kind rule of issue #12 item 3 adds).
enum ProbedRelationKind: String, Sendable {
    case table = "r"
    case partitionedTable = "p"
    case view = "v"
    case materializedView = "m"
    case foreignTable = "f"
}

struct RelationRequirement: Sendable {
    static let allPrivileges = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]

    /// How the ALTER a relation needs is attempted.
    enum Alter: Sendable {
        /// `ALTER TABLE … ENABLE ROW LEVEL SECURITY`.
        case enableRowLevelSecurity
        /// What only an owner (or a member inheriting the owner's rights)
        /// may do: the probe tries a COMMENT.
        case ownership
    }

    /// Each needed WITH GRANT OPTION, in the order GRANT lists them.
    let privileges: [String]
    /// nil: no ALTER needed.
    let alter: Alter?
}

import StewardModel

/// What governance needs of each kind of relation: the rule the checks
/// implement, in one place, so that the ground-truth matrix derives every
/// expected verdict from it and from what the role was seen to do.
///
/// The rule is written here apart from `RelationKind`'s own statement of
/// it, on purpose: the matrix is an independent oracle for the checks.
/// Under the per-kind rule (issue #12 item 3) tables and partitioned tables
/// need the five privileges WITH GRANT OPTION and ALTER TABLE (enabling row
/// level security); views, materialized views and foreign tables SELECT
/// WITH GRANT OPTION only. The old rule, every kind judged like a table, is
/// kept so that the cases tagged ``GroundTruthCase/Tag/perKindRule`` can be
/// seen to be the ones whose verdict the change moved.
enum RelationRequirements {
    static let active: RequirementRule = .perKind
}

enum RequirementRule {
    /// Every relation judged as a table (the checks before issue #12 item 3).
    case everyKindLikeATable
    /// Tables and partitioned tables as before; views, materialized views
    /// and foreign tables SELECT WITH GRANT OPTION only (issue #12 item 3).
    case perKind

    /// What a relation of `kind` needs under this rule; nil: not judged
    /// (under the per-kind rule a partition is governed through its parent).
    func requirement(for kind: RelationKind, isPartition: Bool) -> RelationRequirement? {
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

struct RelationRequirement: Sendable {
    static let allPrivileges = RelationKind.tablePrivileges

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

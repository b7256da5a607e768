/// What a subscription policy lets its subjects do with the data sources it
/// covers. READ becomes `GRANT SELECT`; WRITE becomes SELECT, INSERT, UPDATE,
/// DELETE and TRUNCATE on tables, and SELECT alone on read-only kinds
/// (views, materialized views, foreign tables). The privileges per relation
/// kind are decided in one place, by the enforcement planner.
public enum PolicyAccess: String, Sendable, Hashable, CaseIterable, Comparable {
    case read = "READ"
    case write = "WRITE"

    public static func < (lhs: PolicyAccess, rhs: PolicyAccess) -> Bool {
        lhs == .read && rhs == .write
    }
}

import StewardModel
import StewardStore

// The seam between the registry side of governance (policies, groups,
// mappings: who should have what) and the PostgreSQL side (what the
// connection role has granted, and the GRANT/REVOKE that closes the gap).
// The registry side builds an `EnforcementInput`; a `PolicyEnforcer` turns
// it into a plan and, unless it is a dry run, applies it.

/// One relation Steward governs: an ENABLED data source of the connection.
public struct GovernedRelation: Sendable, Hashable, Comparable {
    public var database: String
    public var schema: String
    public var name: String

    public init(database: String, schema: String, name: String) {
        self.database = database
        self.schema = schema
        self.name = name
    }

    public static func < (lhs: GovernedRelation, rhs: GovernedRelation) -> Bool {
        (lhs.database, lhs.schema, lhs.name) < (rhs.database, rhs.schema, rhs.name)
    }
}

/// One PostgreSQL role's desired access to one governed relation, with the
/// policies that cause it (sorted names; audited and shown beside each
/// statement the planner writes for it).
public struct DesiredAccess: Sendable, Hashable {
    public var role: String
    public var relation: GovernedRelation
    public var access: PolicyAccess
    public var policies: [String]

    public init(role: String, relation: GovernedRelation, access: PolicyAccess, policies: [String]) {
        self.role = role
        self.relation = relation
        self.access = access
        self.policies = policies
    }
}

/// Everything enforcement of one connection needs from the registry.
public struct EnforcementInput: Sendable {
    public var connectionKey: String
    /// The connection's ENABLED data sources. A grant the connection role
    /// made on one of these that `desired` does not call for is revoked.
    public var governed: [GovernedRelation]
    /// At most one entry per (role, relation): the strongest access wins.
    public var desired: [DesiredAccess]
    /// Create a subscriber role that does not exist (NOLOGIN, recorded as
    /// Steward's) instead of reporting it.
    public var provisionMissingRoles: Bool

    public init(connectionKey: String, governed: [GovernedRelation], desired: [DesiredAccess], provisionMissingRoles: Bool) {
        self.connectionKey = connectionKey
        self.governed = governed
        self.desired = desired
        self.provisionMissingRoles = provisionMissingRoles
    }
}

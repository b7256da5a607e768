import StewardModel
import StewardStore

/// One GRANT, REVOKE or CREATE ROLE the planner decided on, exactly as it is
/// (or, in a dry run, would be) sent to the server.
public struct PlannedStatement: Sendable, Hashable {
    public enum Purpose: String, Sendable, Hashable {
        /// Access a policy calls for and the role does not have yet.
        case grant = "GRANT"
        /// A grant Steward made that no policy calls for any more.
        case revoke = "REVOKE"
        /// A grant Steward made that someone else revoked, applied again.
        case repair = "REPAIR"
        /// A missing subscriber role created because the connection says so.
        case provision = "PROVISION"
        /// A role Steward provisioned that no policy wants and that owns
        /// nothing, dropped.
        case deprovision = "DEPROVISION"
    }

    public var database: String
    public var sql: String
    public var purpose: Purpose
    /// The policies that caused it (empty for revokes of grants no policy wants).
    public var policies: [String]

    public init(database: String, sql: String, purpose: Purpose, policies: [String]) {
        self.database = database
        self.sql = sql
        self.purpose = purpose
        self.policies = policies
    }
}

/// Something found on the server that differs from what Steward recorded.
public struct DriftFinding: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// Steward granted it, someone revoked it; the run grants it again.
        case revokedByOther = "REVOKED_BY_OTHER"
        /// The connection role holds a grant on a governed relation no policy wants; revoked.
        case notDesired = "NOT_DESIRED"
        /// Someone other than the connection role granted access on a governed
        /// relation; reported, never changed.
        case grantedByOther = "GRANTED_BY_OTHER"
    }

    public var kind: Kind
    public var database: String
    /// What the finding is about, for people: `SELECT on "s"."t" to "alice" (granted by "dba")`.
    public var detail: String

    public init(kind: Kind, database: String, detail: String) {
        self.kind = kind
        self.database = database
        self.detail = detail
    }
}

/// What one enforcement run of one connection did, database by database.
public struct EnforcementReport: Sendable {
    public struct DatabaseOutcome: Sendable {
        public var database: String
        /// The statements planned for this database, in order.
        public var statements: [PlannedStatement]
        /// True when the statements were committed (false in a dry run, and
        /// when the database's transaction failed: then nothing in it applied).
        public var applied: Bool
        /// Why the database could not be enforced, if it could not.
        public var failure: DomainError?

        public init(database: String, statements: [PlannedStatement], applied: Bool, failure: DomainError?) {
            self.database = database
            self.statements = statements
            self.applied = applied
            self.failure = failure
        }
    }

    public var connectionKey: String
    public var dryRun: Bool
    public var databases: [DatabaseOutcome]
    public var drift: [DriftFinding]
    /// Subscriber roles that do not exist on the server and were not provisioned.
    public var missingRoles: [String]

    public init(connectionKey: String, dryRun: Bool, databases: [DatabaseOutcome], drift: [DriftFinding], missingRoles: [String]) {
        self.connectionKey = connectionKey
        self.dryRun = dryRun
        self.databases = databases
        self.drift = drift
        self.missingRoles = missingRoles
    }

    /// Every statement of the run, database by database, in order.
    public var statements: [PlannedStatement] { databases.flatMap(\.statements) }
}

/// The PostgreSQL side of enforcement: reads what the connection role has
/// granted, plans the difference from `input`, and (unless `dryRun`) applies
/// it in one transaction per database, recording what it applied in the
/// connection's state schema in that same transaction.
public protocol PolicyEnforcer: Sendable {
    func enforce(
        _ input: EnforcementInput, record: ConnectionRecord, password: String, dryRun: Bool, deadline: Deadline
    ) async throws(DomainError) -> EnforcementReport
}

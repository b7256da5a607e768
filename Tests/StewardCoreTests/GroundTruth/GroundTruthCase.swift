import StewardPostgres

/// One privilege set-up of the ground-truth matrix: SQL an administrator
/// runs on a fresh database, and what the connection looks like. Nothing
/// here says what validation should answer: that is derived from what the
/// role is seen to do (``GroundTruthProbe``) and ``RelationRequirements``.
struct GroundTruthCase: Sendable, CustomStringConvertible {
    enum Tag: Sendable {
        /// The verdict depends on the per-kind requirement of issue #12
        /// item 3 (views, materialized views, foreign tables, partitions):
        /// check again after switching ``RelationRequirements/active``.
        case perKindRule
    }

    /// Where the case's governed database comes from.
    enum Database: Sendable {
        /// A worker database shared by cases one after another, emptied
        /// between them: for set-ups that change nothing of the database itself.
        case shared
        /// A database of its own, dropped afterwards: for set-ups that change
        /// the database (owner, CONNECT, CONNECTION LIMIT, ALLOW_CONNECTIONS).
        case own
    }

    /// What the state database holds for this case.
    enum State: Sendable {
        case marker
        case noMarker
        case otherMarker
        /// The connection names a state database that does not exist.
        case missingDatabase
        /// A state database of the case's own that refuses the role CONNECT.
        case refusesConnect
    }

    let name: String
    var tags: Set<Tag> = []
    var database: Database = .shared
    var state: State = .marker
    /// After `CREATE ROLE … PASSWORD …`: LOGIN unless the case says otherwise.
    var roleAttributes = "LOGIN"
    /// Hostile names (quotes, dots, a newline, a backslash, non-ASCII) for
    /// the role, its helpers, the schema and the table.
    var hostileNames = false
    /// A second governed database that does not exist.
    var governsMissingDatabase = false
    /// The connection is given a password that is not the role's.
    var wrongPassword = false
    /// Run by the administrator from another database, after ``setup``:
    /// what PostgreSQL refuses to do to the database a session is in.
    var fromOutside: @Sendable (CaseNames) -> [String] = { _ in [] }
    /// Run by the administrator in the governed database.
    let setup: @Sendable (CaseNames) -> [String]

    var description: String { name }
}

/// The names one case's SQL uses, each starting with the case's prefix so
/// that nothing outlives the run; already quoted where SQL needs them.
struct CaseNames: Sendable {
    let prefix: String
    let hostile: Bool
    /// The connection role (unquoted) and its password.
    let role: String
    let password: String
    /// Unquoted: the governed database, and the probe role that GRANTs target.
    let database: String
    let probeRole: String

    init(prefix: String, hostile: Bool, database: String, probeRole: String, password: String) {
        self.prefix = prefix
        self.hostile = hostile
        self.database = database
        self.probeRole = probeRole
        self.password = password
        role = hostile ? "\(prefix) r\"o'le.\\x\n\u{00E9}\u{1F511}" : "\(prefix) role"
    }

    /// A helper role's unquoted name.
    func roleName(_ suffix: String) -> String {
        hostile ? "\(prefix) \(suffix)\"'.\\\n\u{00FC}" : "\(prefix) \(suffix)"
    }

    /// Helper roles every case gets (NOLOGIN): the owner of its objects, a
    /// group, and another grantor.
    static let helperRoles = ["owner", "group", "other"]

    var r: String { q(role) }
    var owner: String { q(roleName("owner")) }
    var group: String { q(roleName("group")) }
    var other: String { q(roleName("other")) }
    var db: String { q(database) }

    /// The case's schema (unquoted), and names in it, quoted.
    var schemaName: String { hostile ? "a\"b; DROP TABLE x; --.\\\n\u{00E4}" : "s" }
    var schema: String { q(schemaName) }
    func object(_ name: String) -> String { SQLQuoting.qualified(schemaName, hostile ? "\(name)\".\\\n\u{00F8}" : name) }
    var table: String { object("t") }

    /// CREATE TABLE owned by the owner role, in the case's schema (which the
    /// owner owns and the connection role may use).
    func ownedSchemaAndTable() -> [String] {
        [
            "CREATE SCHEMA \(schema) AUTHORIZATION \(owner)",
            "GRANT USAGE ON SCHEMA \(schema) TO \(r)",
            "CREATE TABLE \(table) (id int, note text)",
            "ALTER TABLE \(table) OWNER TO \(owner)",
        ]
    }

    static let five = "SELECT, INSERT, UPDATE, DELETE, TRUNCATE"
}

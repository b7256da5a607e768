import StewardModel
import StewardPostgres
import StewardStore

/// Why the server refused Steward's connection to a governed database the
/// role holds CONNECT on, read from the refusal itself: CONNECT is only a
/// privilege, and a database may still refuse every connection
/// (ALLOW_CONNECTIONS false) or be at its own or the role's CONNECTION LIMIT.
struct DatabaseRefusalReason {
    /// `SQLSTATE 53300: too many connections for database "x"`, escaped.
    let description: String
    /// The statement that removes the cause, or nil when none is Steward's to propose.
    let remediation: String?

    /// libpq passes no SQLSTATE for a refused connection, so it is read from
    /// the server's words, which PostgreSQL does not translate for a client
    /// running with C messages (as Steward's process does).
    static func classify(_ error: PostgresError, database: String, facts: PostgresCatalog.DatabaseConnectFacts?, role: String) -> DatabaseRefusalReason {
        let essence = ServerMessage.essence(of: error)
        let lower = essence.lowercased()
        let quotedDatabase = SQLQuoting.identifier(database)
        let quotedRole = SQLQuoting.identifier(role)
        func reason(_ sqlState: String?, _ extra: String = "", _ remediation: String?) -> DatabaseRefusalReason {
            let code = (sqlState ?? error.sqlState).map { "SQLSTATE \($0): " } ?? ""
            return DatabaseRefusalReason(description: code + essence + extra, remediation: remediation)
        }
        if lower.contains("is not currently accepting connections") {
            return reason("55000", " (ALLOW_CONNECTIONS is false)", "ALTER DATABASE \(quotedDatabase) ALLOW_CONNECTIONS true;")
        }
        if lower.contains("too many connections for role") {
            let limit = facts.map { " (the role's CONNECTION LIMIT is \($0.roleConnectionLimit))" } ?? ""
            return reason("53300", limit, "ALTER ROLE \(quotedRole) CONNECTION LIMIT -1;")
        }
        if lower.contains("too many connections for database") {
            let limit = facts.map { " (the database's CONNECTION LIMIT is \($0.connectionLimit))" } ?? ""
            return reason("53300", limit, "ALTER DATABASE \(quotedDatabase) CONNECTION LIMIT -1;")
        }
        if lower.contains("permission denied for database") {
            // CONNECT was revoked between the catalog read and the attempt.
            return reason("42501", "", "GRANT CONNECT ON DATABASE \(quotedDatabase) TO \(quotedRole);")
        }
        if error.kind == .databaseMissing {
            return reason("3D000", " (dropped while validating)", nil)
        }
        // Server-wide slots, a shutdown, a timeout: nothing to change on the database or the role.
        return reason(nil, "", nil)
    }
}

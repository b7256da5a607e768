/// The validation checks, in the order they run, named as clients see them
/// (`CheckResult.name`). The names are part of the API: never rename one.
/// The case order is the order they run in, and the order reports list them;
/// checks added later come last, so that the earlier ones keep their places.
public enum ValidationCheck: String, CaseIterable, Sendable {
    /// A TCP or Unix socket connection could be made.
    case reachable
    /// TLS is in use as the connection's settings require.
    case tls
    /// The server accepted the credentials.
    case login
    /// The server runs PostgreSQL 16 or 17.
    case serverVersion = "server_version"
    /// The state database exists, apart from the governed ones.
    case stateDatabase = "state_database"
    /// This connection's setup script wrote its marker in the state database.
    case stateMarker = "state_marker"
    /// The role is a superuser or has CREATEROLE.
    case createRole = "create_role"
    /// The role may connect to every governed database.
    case databaseConnect = "database_connect"
    /// The role has USAGE on every schema of the governed databases.
    case schemaUsage = "schema_usage"
    /// The role owns every table or holds all five privileges on it WITH GRANT OPTION.
    case tablePrivileges = "table_privileges"
    /// The role may ALTER every table: ownership, or membership in the owning role.
    case alterTable = "alter_table"
    /// The role holds CONNECT WITH GRANT OPTION on every governed database
    /// (or owns it), so it can let subscribers connect.
    case databaseConnectGrant = "database_connect_grant"
    /// The role holds USAGE WITH GRANT OPTION on every schema of the
    /// governed databases (or owns it), so it can let subscribers in.
    case schemaUsageGrant = "schema_usage_grant"
}

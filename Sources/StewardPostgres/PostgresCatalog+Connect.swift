import StewardModel

extension PostgresCatalog {
    /// What pg_database and pg_roles say about connecting to one database.
    public struct DatabaseConnectFacts: Sendable, Equatable {
        public let name: String
        /// `has_database_privilege(…, 'CONNECT')`: the privilege only, which
        /// is true also where a connection would be refused.
        public let hasConnectPrivilege: Bool
        /// CONNECT WITH GRANT OPTION (which owning the database also
        /// gives): what granting subscribers CONNECT needs.
        public let hasConnectWithGrantOption: Bool
        /// `datallowconn`.
        public let allowsConnections: Bool
        /// `datconnlimit` (-1: none).
        public let connectionLimit: Int
        /// The role's own `rolconnlimit` (-1: none), the same on every row.
        public let roleConnectionLimit: Int
    }

    /// Every database (also those that refuse all connections, so validation
    /// can say why, and templates, which a role may connect to like any
    /// other database when they allow connections), with what decides
    /// whether `role` may connect to it. One query, from any session.
    public static func databaseConnectFacts(of role: String, on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [DatabaseConnectFacts] {
        try connection.query(
            """
            SELECT * FROM (
              SELECT d.datname, pg_catalog.has_database_privilege(r.oid, d.oid, 'CONNECT') AS can_connect,
                     pg_catalog.has_database_privilege(r.oid, d.oid, 'CONNECT WITH GRANT OPTION') AS grantable,
                     d.datallowconn, d.datconnlimit, r.rolconnlimit
              FROM pg_catalog.pg_database d CROSS JOIN (SELECT oid, rolconnlimit FROM pg_catalog.pg_roles WHERE rolname = $1) r
            ) AS visible
            -- NULL: the database was dropped while the query ran.
            WHERE can_connect IS NOT NULL AND grantable IS NOT NULL
            ORDER BY datname
            """,
            [role], deadline: deadline
        ).rows.map { (row) throws(PostgresError) -> DatabaseConnectFacts in
            DatabaseConnectFacts(
                name: try row.string("datname"), hasConnectPrivilege: try row.bool("can_connect"),
                hasConnectWithGrantOption: try row.bool("grantable"),
                allowsConnections: try row.bool("datallowconn"), connectionLimit: try row.int("datconnlimit"),
                roleConnectionLimit: try row.int("rolconnlimit"))
        }
    }
}

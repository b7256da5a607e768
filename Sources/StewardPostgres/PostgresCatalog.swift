import StewardModel

/// The catalog facts Steward's checks need, each read with one set-based
/// query per database (never one query per table).
public enum PostgresCatalog {
    /// Role attributes relevant to governance.
    public struct RoleAttributes: Sendable, Equatable {
        public var name: String
        public var isSuperuser: Bool
        public var canCreateRoles: Bool
        public var canLogin: Bool

        public init(name: String, isSuperuser: Bool, canCreateRoles: Bool, canLogin: Bool) {
            self.name = name
            self.isSuperuser = isSuperuser
            self.canCreateRoles = canCreateRoles
            self.canLogin = canLogin
        }
    }

    /// One table (or view, materialized view, foreign or partitioned table)
    /// as the role sees it.
    public struct TablePrivileges: Sendable, Equatable {
        public var schema: String
        public var name: String
        public var kind: RelationKind
        public var owner: String
        /// The role is the owner.
        public var ownedByRole: Bool
        /// The role has the owner's privileges through membership (which is
        /// what ALTER TABLE needs when it is not the owner).
        public var roleIsMemberOfOwner: Bool
        public var selectWithGrantOption: Bool
        public var insertWithGrantOption: Bool
        public var updateWithGrantOption: Bool
        public var deleteWithGrantOption: Bool
        public var truncateWithGrantOption: Bool

        /// All five privileges Steward needs, each grantable.
        public var hasAllPrivilegesWithGrantOption: Bool {
            selectWithGrantOption && insertWithGrantOption && updateWithGrantOption
                && deleteWithGrantOption && truncateWithGrantOption
        }

        /// What ALTER TABLE requires: ownership, directly or through membership.
        public var canAlter: Bool { ownedByRole || roleIsMemberOfOwner }

        /// The privileges of its kind's ``RelationKind/requiredPrivileges``
        /// that the role does not hold WITH GRANT OPTION, in GRANT's order;
        /// empty when it owns the relation.
        public var missingPrivileges: [String] {
            guard !ownedByRole else { return [] }
            let held = [
                "SELECT": selectWithGrantOption, "INSERT": insertWithGrantOption, "UPDATE": updateWithGrantOption,
                "DELETE": deleteWithGrantOption, "TRUNCATE": truncateWithGrantOption,
            ]
            return kind.requiredPrivileges.filter { held[$0] != true }
        }

        /// Everything governance needs of this kind of relation: the
        /// privileges, and ALTER where the kind needs it.
        public var meetsRequirements: Bool {
            missingPrivileges.isEmpty && (!kind.needsAlter || canAlter)
        }
    }

    /// The attributes of `role` (`pg_roles`); nil when there is no such role.
    public static func roleAttributes(_ role: String, on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> RoleAttributes? {
        let result = try connection.query(
            "SELECT rolname, rolsuper, rolcreaterole, rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = $1",
            [role], deadline: deadline)
        guard let row = result.rows.first else { return nil }
        return RoleAttributes(
            name: try row.string("rolname"), isSuperuser: try row.bool("rolsuper"),
            canCreateRoles: try row.bool("rolcreaterole"), canLogin: try row.bool("rolcanlogin"))
    }

    /// Whether each of `roles` exists and may log in, in one query however
    /// many there are; a role that does not exist is absent from the answer.
    /// The names travel as one JSON array parameter, never in the SQL text.
    public static func loginAbility(of roles: [String], on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [String: Bool] {
        guard !roles.isEmpty else { return [:] }
        let result = try connection.query(
            """
            SELECT r.rolname, r.rolcanlogin
            FROM pg_catalog.pg_roles AS r
            WHERE r.rolname IN (SELECT pg_catalog.json_array_elements_text($1::pg_catalog.json))
            """,
            [jsonArray(roles)], deadline: deadline)
        var found: [String: Bool] = [:]
        for row in result.rows { found[try row.string("rolname")] = try row.bool("rolcanlogin") }
        return found
    }

    /// A JSON array of strings, escaped per RFC 8259.
    static func jsonArray(_ strings: [String]) -> String {
        var json = "["
        for (index, string) in strings.enumerated() {
            if index > 0 { json += "," }
            json += "\""
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": json += "\\\""
                case "\\": json += "\\\\"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: json.unicodeScalars.append(scalar)
                }
            }
            json += "\""
        }
        return json + "]"
    }

    /// The full version string (`SELECT version()`), for messages.
    public static func versionString(on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> String {
        try connection.query("SELECT pg_catalog.version() AS version", deadline: deadline).rows.first?.string("version") ?? ""
    }

    /// Databases that accept connections and are not templates, sorted.
    public static func databases(on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [String] {
        try connection.query(
            "SELECT datname FROM pg_catalog.pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname",
            deadline: deadline
        ).rows.map { (row) throws(PostgresError) -> String in try row.string("datname") }
    }

    /// Databases that accept connections, and whether `role` may connect to each.
    public static func databaseAccess(of role: String, on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [(name: String, canConnect: Bool)] {
        try connection.query(
            """
            SELECT * FROM (
              SELECT d.datname, pg_catalog.has_database_privilege(r.oid, d.oid, 'CONNECT') AS can_connect
              FROM pg_catalog.pg_database d CROSS JOIN (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1) r
              WHERE NOT d.datistemplate AND d.datallowconn
            ) AS visible
            -- NULL: the database was dropped while the query ran.
            WHERE can_connect IS NOT NULL
            ORDER BY datname
            """,
            [role], deadline: deadline
        ).rows.map { (row) throws(PostgresError) -> (name: String, canConnect: Bool) in
            (try row.string("datname"), try row.bool("can_connect"))
        }
    }

    /// One schema as the role sees it.
    public struct SchemaAccess: Sendable, Equatable {
        public var name: String
        public var hasUsage: Bool
        /// USAGE WITH GRANT OPTION, which owning the schema (directly or
        /// through membership) also gives: what granting subscribers USAGE needs.
        public var hasUsageWithGrantOption: Bool

        public init(name: String, hasUsage: Bool, hasUsageWithGrantOption: Bool) {
            self.name = name
            self.hasUsage = hasUsage
            self.hasUsageWithGrantOption = hasUsageWithGrantOption
        }
    }

    /// Schemas of the connected database other than PostgreSQL's own, and
    /// whether `role` has USAGE on each, and may grant it.
    public static func schemaAccess(of role: String, on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [SchemaAccess] {
        try connection.query(
            """
            SELECT * FROM (
              SELECT n.nspname, pg_catalog.has_schema_privilege(r.oid, n.oid, 'USAGE') AS has_usage,
                     pg_catalog.has_schema_privilege(r.oid, n.oid, 'USAGE WITH GRANT OPTION') AS grantable
              FROM pg_catalog.pg_namespace n CROSS JOIN (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1) r
              WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
            ) AS visible
            -- NULL: the schema was dropped while the query ran.
            WHERE has_usage IS NOT NULL AND grantable IS NOT NULL
            ORDER BY nspname
            """,
            [role], deadline: deadline
        ).rows.map { (row) throws(PostgresError) -> SchemaAccess in
            SchemaAccess(name: try row.string("nspname"), hasUsage: try row.bool("has_usage"), hasUsageWithGrantOption: try row.bool("grantable"))
        }
    }

    /// Schemas of the connected database other than PostgreSQL's own, sorted.
    public static func schemas(on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [String] {
        try connection.query(
            """
            SELECT nspname FROM pg_catalog.pg_namespace
            WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'
            ORDER BY nspname
            """,
            deadline: deadline
        ).rows.map { (row) throws(PostgresError) -> String in try row.string("nspname") }
    }

    /// Every table of the connected database outside PostgreSQL's own
    /// schemas, with what `role` may do to it — one query, however many tables.
    /// Partitions are left out: their partitioned table stands for them
    /// (``RelationKind``).
    public static func tablePrivileges(of role: String, on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [TablePrivileges] {
        let result = try connection.query(
            """
            -- has_table_privilege answers NULL for a table dropped while the
            -- query runs (an ETL job, say); such a table is simply gone.
            SELECT * FROM (
            SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, o.rolname AS owner,
                   c.relowner = r.oid AS owned,
                   c.relowner <> r.oid AND pg_catalog.pg_has_role(r.oid, c.relowner, 'USAGE') AS member_of_owner,
                   pg_catalog.has_table_privilege(r.oid, c.oid, 'SELECT WITH GRANT OPTION') AS sel,
                   pg_catalog.has_table_privilege(r.oid, c.oid, 'INSERT WITH GRANT OPTION') AS ins,
                   pg_catalog.has_table_privilege(r.oid, c.oid, 'UPDATE WITH GRANT OPTION') AS upd,
                   pg_catalog.has_table_privilege(r.oid, c.oid, 'DELETE WITH GRANT OPTION') AS del,
                   pg_catalog.has_table_privilege(r.oid, c.oid, 'TRUNCATE WITH GRANT OPTION') AS trn
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
            CROSS JOIN (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1) r
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
              AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
            ) AS visible
            WHERE sel IS NOT NULL
            ORDER BY schema, name
            """,
            [role], deadline: deadline)
        return try result.rows.map { (row) throws(PostgresError) -> TablePrivileges in
            let relkind = try row.string("kind")
            guard let kind = RelationKind(relkind: relkind) else {
                throw PostgresError(kind: .decoding, message: "unexpected relation kind \(SQLQuoting.literal(relkind))")
            }
            return TablePrivileges(
                schema: try row.string("schema"), name: try row.string("name"), kind: kind, owner: try row.string("owner"),
                ownedByRole: try row.bool("owned"), roleIsMemberOfOwner: try row.bool("member_of_owner"),
                selectWithGrantOption: try row.bool("sel"), insertWithGrantOption: try row.bool("ins"),
                updateWithGrantOption: try row.bool("upd"), deleteWithGrantOption: try row.bool("del"),
                truncateWithGrantOption: try row.bool("trn"))
        }
    }
}

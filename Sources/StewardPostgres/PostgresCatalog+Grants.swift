import StewardModel

extension PostgresCatalog {
    /// One entry of an access control list (`aclexplode`), with the roles named.
    public struct ACLEntry: Sendable, Hashable {
        public var grantor: String
        /// nil for PUBLIC (grantee 0), which is not a role.
        public var grantee: String?
        /// `SELECT`, `INSERT`, `USAGE`, `CONNECT`, … as `aclexplode` spells them.
        public var privilege: String
        public var grantable: Bool

        public init(grantor: String, grantee: String?, privilege: String, grantable: Bool) {
            self.grantor = grantor
            self.grantee = grantee
            self.privilege = privilege
            self.grantable = grantable
        }
    }

    /// One relation of the connected database with its owner, kind and ACL.
    public struct RelationACL: Sendable, Hashable {
        public var schema: String
        public var name: String
        /// `pg_class.relkind`: `r`, `p`, `v`, `m`, `f` (others are never asked for).
        public var kind: Character
        public var owner: String
        /// The explicit entries of `relacl`; empty while it is NULL (the
        /// owner's defaults, which grant nobody else anything).
        public var entries: [ACLEntry]

        public init(schema: String, name: String, kind: Character, owner: String, entries: [ACLEntry]) {
            self.schema = schema
            self.name = name
            self.kind = kind
            self.owner = owner
            self.entries = entries
        }
    }

    /// The relations named by `names` (schema, name) that exist in the
    /// connected database as tables, views, materialized views, foreign or
    /// partitioned tables, with their ACLs: one query however many there
    /// are. The query reads every relation of the schemas named (a handful
    /// of names, one JSON parameter, never in the SQL text) and the names
    /// are matched here: matching thousands of pairs in SQL leaves the
    /// server's planner guessing at a JSON function's row count, and a bad
    /// guess (a nested loop over pg_class) costs seconds.
    public static func relationACLs(
        _ names: [(schema: String, name: String)], on connection: PostgresConnection, deadline: Deadline
    ) throws(PostgresError) -> [RelationACL] {
        guard !names.isEmpty else { return [] }
        var wanted: [String: Set<String>] = [:]
        for name in names { wanted[name.schema, default: []].insert(name.name) }
        let result = try connection.query(
            """
            -- One row per (relation, grantor, grantee, grant option), its
            -- privileges as a comma list: a fifth of the rows a WRITE
            -- subscriber's five privileges would otherwise take.
            SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, o.rolname AS owner,
                   gr.rolname AS grantor, a.grantee = 0 AS to_public, ge.rolname AS grantee,
                   pg_catalog.string_agg(a.privilege_type, ',') AS privilege, a.is_grantable AS grantable
            FROM pg_catalog.pg_namespace n
            JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid
            JOIN pg_catalog.pg_roles o ON o.oid = c.relowner
            LEFT JOIN LATERAL pg_catalog.aclexplode(c.relacl) AS a ON true
            LEFT JOIN pg_catalog.pg_roles gr ON gr.oid = a.grantor
            LEFT JOIN pg_catalog.pg_roles ge ON ge.oid = a.grantee
            WHERE n.nspname IN (SELECT pg_catalog.json_array_elements_text($1::pg_catalog.json))
              AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            GROUP BY n.nspname, c.relname, c.relkind, o.rolname, gr.rolname, a.grantee, ge.rolname, a.is_grantable
            ORDER BY 1, 2
            """,
            [jsonArray(wanted.keys.sorted())], deadline: deadline)
        var relations: [RelationACL] = []
        for row in result.rows {
            let schema = try row.string("schema")
            let name = try row.string("name")
            guard wanted[schema]?.contains(name) == true else { continue }
            if relations.last?.schema != schema || relations.last?.name != name {
                let kind = try row.string("kind")
                relations.append(RelationACL(schema: schema, name: name, kind: kind.first ?? "?", owner: try row.string("owner"), entries: []))
            }
            // Privilege names are words: the comma list splits safely.
            guard let entry = try aclEntry(row) else { continue }
            for privilege in entry.privilege.split(separator: ",") {
                var single = entry
                single.privilege = String(privilege)
                relations[relations.count - 1].entries.append(single)
            }
        }
        return relations
    }

    /// The entries of every schema's ACL in the connected database that
    /// `grantor` made, keyed by schema name.
    public static func schemaACLs(grantedBy grantor: String, on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [String: [ACLEntry]] {
        try entries(grantedBy: grantor, in: "SELECT nspname AS name, nspacl AS acl FROM pg_catalog.pg_namespace", on: connection, deadline: deadline)
    }

    /// The entries of the connected database's own ACL that `grantor` made.
    public static func databaseACL(grantedBy grantor: String, on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [ACLEntry] {
        try entries(
            grantedBy: grantor,
            in: "SELECT datname AS name, datacl AS acl FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()",
            on: connection, deadline: deadline
        ).values.first ?? []
    }

    /// The ACL entries `grantor` made on the objects `objects` (a fixed
    /// query of Steward's, never input, with columns `name` and `acl`)
    /// lists, keyed by object name.
    private static func entries(
        grantedBy grantor: String, in objects: String, on connection: PostgresConnection, deadline: Deadline
    ) throws(PostgresError) -> [String: [ACLEntry]] {
        let result = try connection.query(
            """
            SELECT o.name AS object, gr.rolname AS grantor, a.grantee = 0 AS to_public, ge.rolname AS grantee,
                   a.privilege_type AS privilege, a.is_grantable AS grantable
            FROM (\(objects)) AS o
            CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) AS a
            JOIN pg_catalog.pg_roles gr ON gr.oid = a.grantor
            LEFT JOIN pg_catalog.pg_roles ge ON ge.oid = a.grantee
            WHERE gr.rolname = $1
            """,
            [grantor], deadline: deadline)
        var entries: [String: [ACLEntry]] = [:]
        for row in result.rows {
            guard let entry = try aclEntry(row) else { continue }
            entries[try row.string("object"), default: []].append(entry)
        }
        return entries
    }

    /// What each of `roles` that exists owns or is depended on by, cluster
    /// wide (`pg_shdepend`): whether dropping it would be refused. A role
    /// that does not exist is absent from the answer.
    public static func roleDependencies(of roles: [String], on connection: PostgresConnection, deadline: Deadline) throws(PostgresError) -> [String: (ownsObjects: Bool, hasPrivileges: Bool)] {
        guard !roles.isEmpty else { return [:] }
        let result = try connection.query(
            """
            SELECT r.rolname,
                   EXISTS (SELECT FROM pg_catalog.pg_shdepend d
                           WHERE d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND d.refobjid = r.oid AND d.deptype = 'o') AS owns,
                   EXISTS (SELECT FROM pg_catalog.pg_shdepend d
                           WHERE d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND d.refobjid = r.oid AND d.deptype <> 'o') AS privileged
            FROM pg_catalog.pg_roles AS r
            WHERE r.rolname IN (SELECT pg_catalog.json_array_elements_text($1::pg_catalog.json))
            """,
            [jsonArray(roles)], deadline: deadline)
        var found: [String: (ownsObjects: Bool, hasPrivileges: Bool)] = [:]
        for row in result.rows { found[try row.string("rolname")] = (try row.bool("owns"), try row.bool("privileged")) }
        return found
    }

    /// The entry on `row`, nil when the row has none (a NULL ACL) or names a
    /// grantor or grantee dropped while the query ran.
    private static func aclEntry(_ row: PostgresRow) throws(PostgresError) -> ACLEntry? {
        guard let privilege = try row.text("privilege"), let grantor = try row.text("grantor") else { return nil }
        let toPublic = try row.bool("to_public")
        let grantee = try row.text("grantee")
        if !toPublic && grantee == nil { return nil }
        return ACLEntry(grantor: grantor, grantee: toPublic ? nil : grantee, privilege: privilege, grantable: try row.bool("grantable"))
    }
}

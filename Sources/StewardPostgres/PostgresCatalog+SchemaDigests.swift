import StewardModel

extension PostgresCatalog {
    /// One schema of the connected database as a sync sees it, summarised by
    /// the server in one row: how many relations it holds and a SHA-256 of a
    /// canonical text of everything sync stores about them, so that a schema
    /// whose digest matches the one stored needs no more reading.
    public struct SchemaDigest: Sendable, Equatable {
        public var schema: String
        /// Tables, views, materialized views, foreign and partitioned tables
        /// (partitions left out, as ``relations(on:deadline:)`` leaves them).
        public var relations: Int
        /// 64 lowercase hex digits.
        public var digest: String
        /// The role may grant USAGE on the schema (`USAGE WITH GRANT OPTION`).
        public var usageGrantable: Bool
        /// Every name in it (the schema's, its relations', their columns')
        /// is printable ASCII. A schema that is not may hold a name sync
        /// refuses, and is read whole every time so that the refusal is
        /// reported every time.
        public var plainNames: Bool

        public init(schema: String, relations: Int, digest: String, usageGrantable: Bool, plainNames: Bool) {
            self.schema = schema
            self.relations = relations
            self.digest = digest
            self.usageGrantable = usageGrantable
            self.plainNames = plainNames
        }
    }

    /// The digest of every schema outside PostgreSQL's own that holds a
    /// relation, as `role` sees it, in one query. What the digest covers is
    /// everything sync stores and everything its governability is derived
    /// from, so that any change to either changes it:
    /// - per relation, in name order (byte order): its name, kind, owner
    ///   (oid) and ACL (`relacl` as text), and its columns in `attnum`
    ///   order with name, `format_type` and `attnum`;
    /// - per schema: the number of relations and whether `role` may grant
    ///   USAGE on it;
    /// - the role's context, the same in every schema: its oid, whether it
    ///   is a superuser, and every role whose privileges it has
    ///   (`pg_has_role … 'USAGE'`), which is what `has_table_privilege` and
    ///   membership of an owner are answered from.
    /// Every variable field is length-prefixed, so that the canonical text
    /// is an unambiguous encoding; SHA-256 makes two texts sharing a digest
    /// out of reach. The privileges themselves are not asked for table by
    /// table (five `has_table_privilege` calls per relation cost more than
    /// the rest together); their inputs are covered instead.
    public static func schemaDigests(
        of role: String, on connection: PostgresConnection, deadline: Deadline
    ) throws(PostgresError) -> [SchemaDigest] {
        let result = try connection.query(
            """
            WITH r AS (\(roleContext)), c AS (
                SELECT c.oid, c.relnamespace, c.relname, c.relkind, c.relowner, c.relacl
                FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
                  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
            ), k AS (
                SELECT a.attrelid,
                       pg_catalog.count(*) || '#' || pg_catalog.string_agg(
                           pg_catalog.length(a.attname) || ':' || a.attname || pg_catalog.length(a.t) || ':' || a.t
                               || a.attnum || ';', '' ORDER BY a.attnum) AS columns
                FROM (SELECT a.attrelid, a.attname, a.attnum, pg_catalog.format_type(a.atttypid, a.atttypmod) AS t
                      FROM pg_catalog.pg_attribute a JOIN c ON c.oid = a.attrelid
                      WHERE a.attnum > 0 AND NOT a.attisdropped) AS a
                GROUP BY a.attrelid
            ), s AS (
                SELECT c.relnamespace, pg_catalog.count(*) AS relations,
                   pg_catalog.bool_and((c.relname::text || coalesce(k.columns, '')) ~ '^[ -~]*$') AS plain,
                   pg_catalog.string_agg(
                           pg_catalog.length(c.relname) || ':' || c.relname || c.relkind::text || c.relowner || ':'
                               || pg_catalog.length(coalesce(c.relacl::text, '')) || ':' || coalesce(c.relacl::text, '')
                               || coalesce(k.columns, '0#'),
                           E'\\n' ORDER BY c.relname COLLATE "C") AS body
                FROM c LEFT JOIN k ON k.attrelid = c.oid GROUP BY c.relnamespace
            )
            SELECT n.nspname AS schema, s.relations,
                   coalesce(pg_catalog.has_schema_privilege(r.oid, n.oid, 'USAGE WITH GRANT OPTION'), false) AS grantable,
                   s.plain AND n.nspname::text ~ '^[ -~]*$' AS plain,
                   pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
                       \(roleLine) || E'\\n' || s.relations || ':' || \(grantableText) || E'\\n'
                       || s.body, 'UTF8')), 'hex') AS digest
            FROM s JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace LEFT JOIN r ON true
            ORDER BY n.nspname
            """,
            [role], deadline: deadline)
        return try result.rows.map { (row) throws(PostgresError) -> SchemaDigest in
            SchemaDigest(
                schema: try row.string("schema"), relations: try row.int("relations"), digest: try row.string("digest"),
                usageGrantable: try row.bool("grantable"), plainNames: try row.bool("plain"))
        }
    }
}

// MARK: - The digest's shared lines, for a digest computed on this side

extension PostgresCatalog {
    /// `r`: the role (its oid, whether it is a superuser, and the roles
    /// whose privileges it has), one row or none.
    static let roleContext = """
        SELECT r.oid, r.rolsuper,
               (SELECT pg_catalog.string_agg(m.oid::text, ',' ORDER BY m.oid) FROM pg_catalog.pg_roles m
                WHERE pg_catalog.pg_has_role(r.oid, m.oid, 'USAGE')) AS inherits
        FROM pg_catalog.pg_roles r WHERE r.rolname = $1
        """
    /// The digest's first line, the same in every schema (over `r`).
    static let roleLine =
        "coalesce(r.oid::text, '-') || ':' || coalesce(r.rolsuper::text, '-') || ':' || coalesce(r.inherits, '')"
    /// Whether `r` may grant USAGE on schema `n`, as the digest's text has it.
    static let grantableText =
        "coalesce(pg_catalog.has_schema_privilege(r.oid, n.oid, 'USAGE WITH GRANT OPTION')::text, '-')"

    /// What a schema's digest shares with every other, and each schema's
    /// own line, so that a sync that reads every relation anyway (its
    /// first) can compute the digests on this side (byte for byte what
    /// ``schemaDigests(of:on:deadline:)`` computes) instead of asking the
    /// server to read the catalog twice.
    public struct DigestContext: Sendable, Equatable {
        /// The server and client encodings are both UTF8: the names as read
        /// here are the digest's bytes. Otherwise ask the server.
        public var isUTF8: Bool
        /// The digest's first line (without its newline).
        public var roleLine: String
        /// By schema's bytes (Swift's String equality would take two
        /// canonically equivalent names for one schema).
        var grantableBySchema: [[UInt8]: String]

        /// For `schema` (every one outside PostgreSQL's own): `true`,
        /// `false` or `-` (no such role), as the digest's text has it.
        public func grantable(_ schema: String) -> String? { grantableBySchema[Array(schema.utf8)] }
    }

    /// The ``DigestContext`` for `role` in the connected database, in one query.
    public static func digestContext(
        of role: String, on connection: PostgresConnection, deadline: Deadline
    ) throws(PostgresError) -> DigestContext {
        let result = try connection.query(
            """
            WITH r AS (\(roleContext))
            SELECT pg_catalog.current_setting('server_encoding') = 'UTF8'
                       AND pg_catalog.current_setting('client_encoding') = 'UTF8' AS utf8,
                   \(roleLine) AS role_line, n.nspname AS schema, \(grantableText) AS grantable
            FROM (SELECT 1) AS one LEFT JOIN r ON true
            LEFT JOIN pg_catalog.pg_namespace n ON n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
            """,
            [role], deadline: deadline)
        guard let first = result.rows.first else {
            throw PostgresError(kind: .decoding, message: "the digest context query returned no row")
        }
        var grantable: [[UInt8]: String] = [:]
        for row in result.rows {
            guard let schema = try row.text("schema") else { continue }
            grantable[Array(schema.utf8)] = try row.string("grantable")
        }
        return DigestContext(
            isUTF8: try first.bool("utf8"), roleLine: try first.string("role_line"), grantableBySchema: grantable)
    }
}

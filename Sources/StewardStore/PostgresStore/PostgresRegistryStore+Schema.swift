import StewardModel
import StewardPostgres

extension PostgresRegistryStore {
    /// Refuses a registry this code cannot read (newer schema, foreign
    /// objects in its schema, a key that is not its own), then upgrades it,
    /// all in one transaction under the migration advisory lock: of two
    /// daemons starting together, the second waits, then finds the schema
    /// current. The key is checked before any upgrade, so the wrong key
    /// never changes a registry.
    static func prepareSchema(
        _ session: PostgresSession, parameters: ConnectionParameters, cipher: SecretCipher,
        grants: GrantAuthenticator,
        target: Int = PostgresMigration.latestVersion, migrations: [PostgresMigration] = PostgresMigration.all
    ) throws {
        try session.transaction("BEGIN ISOLATION LEVEL READ COMMITTED") { session in
            try session.query(
                "SELECT pg_advisory_xact_lock($1::integer, $2::integer)", PostgresMigration.advisoryLockClass,
                PostgresMigration.migrationLock)
            let recorded = try schemaVersion(session, parameters: parameters)
            let renumbering = try recordsOwnNumbering(session, recorded: recorded)
            let version = renumbering ? recorded + 1 : recorded
            if version > PostgresMigration.latestVersion {
                throw StoreError(
                    .schemaTooNew,
                    "the registry store \(parameters) has schema version \(version), newer than this stewardd "
                        + "understands (\(PostgresMigration.latestVersion)); run a newer stewardd")
            }
            if version > 0 {
                guard let row = try session.queryFirst("SELECT value FROM meta WHERE name = 'key_check'") else {
                    throw StoreError(
                        .corrupt, "the registry store \(parameters) has no key check value; it is damaged")
                }
                guard cipher.verifyKeyCheck(try row.bytesValue("value")) else {
                    throw StoreError(
                        .keyMismatch,
                        "the key file does not match the registry store \(parameters): it is another store's key "
                            + "or was changed; restore this store's key file")
                }
            }
            if renumbering { try adoptSharedNumbering(session) }
            for migration in migrations where migration.version > version && migration.version <= target {
                for statement in migration.statements { try session.query(statement) }
                try session.query(
                    "INSERT INTO schema_migrations (version, summary) VALUES ($1::integer, $2::text)",
                    migration.version, migration.summary)
                if migration.version == PostgresMigration.v2InitialSchema.version {
                    try session.query(
                        "INSERT INTO meta (name, value) VALUES ('key_check', $1::bytea)", try cipher.makeKeyCheck())
                    try markSharedNumbering(session)
                }
                if migration.version == PostgresMigration.v3Integrity.version {
                    // Rows granted before permissions carried MACs get theirs
                    // here, from a daemon that holds the key (every daemon
                    // does: the key check above passed).
                    try macExistingGrants(session, grants: grants)
                }
            }
            try resealLegacyPasswords(session, cipher: cipher)
        }
    }

    /// Gives every permission row its MAC. Runs once, in the upgrade's
    /// transaction, so no grant is left without one.
    static func macExistingGrants(_ session: PostgresSession, grants: GrantAuthenticator) throws {
        let rows = try session.query(
            """
            SELECT p.user_id, u.uid, p.permission FROM user_permissions AS p JOIN users AS u ON u.id = p.user_id
            """)
        for row in rows {
            let userID = try row.int64Value("user_id")
            guard let permission = Permission(rawValue: try row.textValue("permission")) else { continue }
            try session.query(
                "UPDATE user_permissions SET mac = $3::bytea WHERE user_id = $1::bigint AND permission = $2::text",
                userID, permission.rawValue,
                grants.mac(userID: userID, uid: try row.uidValue("uid"), permission: permission))
        }
    }

    /// Whether the registry records versions in the sequence it had before
    /// the two backends shared their numbers (see
    /// ``PostgresMigration/sharedNumbering``): one lower than the shared ones.
    static func recordsOwnNumbering(_ session: PostgresSession, recorded: Int) throws -> Bool {
        guard recorded > 0 else { return false }
        let marker = PostgresMigration.sharedNumbering
        return try session.queryFirst("SELECT 1 AS marked FROM meta WHERE name = $1::text", marker.name) == nil
    }

    /// Renumbers every recorded version into the shared sequence and marks
    /// the registry as renumbered. Runs after the key check, in the upgrade's
    /// transaction. (Two steps, because `version` is the primary key and a
    /// single `version + 1` could collide with the row above mid-update.)
    static func adoptSharedNumbering(_ session: PostgresSession) throws {
        try session.query("UPDATE schema_migrations SET version = -version")
        try session.query("UPDATE schema_migrations SET version = 1 - version")
        try markSharedNumbering(session)
    }

    static func markSharedNumbering(_ session: PostgresSession) throws {
        let marker = PostgresMigration.sharedNumbering
        try session.query(
            "INSERT INTO meta (name, value) VALUES ($1::text, $2::bytea)", marker.name, marker.value)
    }

    /// The recorded schema version; 0 for a database without the schema.
    static func schemaVersion(_ session: PostgresSession, parameters: ConnectionParameters) throws -> Int {
        let schema = PostgresMigration.schemaName
        let found = try session.queryFirst(
            """
            SELECT to_regclass(quote_ident($1::text) || '.schema_migrations') IS NOT NULL AS migrated,
                EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1::text) AS present
            """, schema)
        guard let found else { return 0 }
        if try found.textValue("migrated") == "t" {
            let row = try session.queryFirst("SELECT coalesce(max(version), 0) AS version FROM schema_migrations")
            return try row?.intValue("version") ?? 0
        }
        if try found.textValue("present") == "t" {
            throw StoreError(
                .corrupt,
                "the database \(parameters) has a schema \"\(schema)\" but no Steward schema version; "
                    + "it is not a Steward registry")
        }
        return 0
    }
}

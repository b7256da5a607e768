import StewardPostgres

extension PostgresRegistryStore {
    /// The unique index behind "one PostgreSQL username, one user, per connection".
    static let usernameOwnerIndex = "effective_usernames_owner"

    /// Race: two daemons giving one username to two users. Both changes
    /// write `effective_usernames` (by trigger, under the usernames advisory
    /// lock); its unique index refuses the second, whichever commits first.
    @discardableResult
    public func setMapping(_ mapping: IdentityMapping) throws(StoreError) -> IdentityMapping {
        let now = now()
        try write { session in try Self.setMapping(mapping, at: now.microseconds, in: session) }
        return mapping
    }

    public func removeMapping(userName: String, connectionKey: String?) throws(StoreError) {
        try write { session in
            let userID = try Self.userID(name: userName, in: session)
            let connectionID = try connectionKey.map { key in try Self.connectionID(key: key, in: session) }
            let removed: [PostgresRow]
            do {
                removed = try session.savepoint {
                    try session.query(
                        """
                        DELETE FROM identity_mappings
                        WHERE user_id = $1::bigint AND connection_id IS NOT DISTINCT FROM $2::bigint
                        RETURNING user_id
                        """, userID, connectionID)
                }
            } catch where StoreError.isUniqueViolation(error, on: Self.usernameOwnerIndex) {
                // Without its override, the user's default applies on that connection.
                var mappings = try Self.mappingsByScope(userID: userID, in: session)
                mappings[connectionID] = nil
                throw try Self.usernameConflict(
                    userID: userID, userName: userName, mappings: mappings, cause: error, in: session)
            }
            guard removed.count == 1 else {
                throw StoreError(
                    .notFound,
                    connectionKey.map { "user \"\(userName)\" has no mapping for connection \"\($0)\"" }
                        ?? "user \"\(userName)\" has no default mapping")
            }
        }
    }

    public func listMappings(_ filter: MappingFilter, page: PageRequest) throws(StoreError) -> Page<IdentityMapping> {
        let query = try MappingQuery(filter, page: page, dialect: .postgres)
        let mappings = try read { session in
            try session.query(query.statement.sql, values: query.statement.parameters).map { row in
                IdentityMapping(
                    userName: try row.textValue("user_name"), connectionKey: try row.optionalTextValue("connection_key"),
                    identity: try Self.identity(
                        kind: row.value(Identity.Kind.self, "kind"), value: row.optionalTextValue("value")))
            }
        }
        return MappingPosition.page(mappings, size: query.pageSize)
    }

    /// All or none, and one answer names every row that fails, exactly as
    /// if the rows were set one after the other in file order (so a row
    /// may conflict with an earlier row of the same import).
    ///
    /// Set-based first: the rows travel as one JSON parameter; one query
    /// checks that every user and connection exists and that no username
    /// would have two owners on one connection at any point of the
    /// sequence (``importConflicts``); then one upsert sets every row. Only
    /// when that check finds a problem (or the upsert is refused) is the
    /// import replayed row by row, each under a savepoint, to name each
    /// failing row with its own error. So a clean import costs a few
    /// statements and no subtransactions, however many rows it has.
    /// Rolled back when anything failed or this is a dry run.
    @discardableResult
    public func importMappings(_ mappings: [IdentityMapping], dryRun: Bool) throws(StoreError) -> Int {
        let now = now()
        guard !mappings.isEmpty else { return try write(commit: !dryRun) { _ in 0 } }
        let rows = try PostgresJSONWriter.array(mappings.indices, capacity: mappings.count * 96) {
            writer, index throws(StoreError) in
            let mapping = mappings[index]
            writer.raw("{\"o\":")
            writer.int(index)
            writer.raw(",\"u\":")
            try writer.string(mapping.userName)
            writer.raw(",\"c\":")
            try writer.string(mapping.connectionKey)
            writer.raw(",\"k\":")
            try writer.string(mapping.identity.kind.rawValue)
            writer.raw(",\"v\":")
            try writer.string(mapping.identity.value)
            writer.raw("}")
        }
        return try write(commit: !dryRun) { session in
            if try Self.importSetBased(rows, at: now.microseconds, in: session) { return mappings.count }
            return try Self.importRowByRow(mappings, at: now.microseconds, in: session)
        }
    }

    /// Checks the whole import and, when it is clean, sets every row with
    /// one statement. False: something would fail (or the statement was
    /// refused and undone); the caller replays the rows one by one.
    static func importSetBased(_ rows: String, at microseconds: Int64, in session: PostgresSession) throws -> Bool {
        // The usernames lock (see refresh_effective_usernames), held to the
        // end of the transaction, so that what is checked here is what the
        // upsert's triggers will meet.
        try session.query(PostgresMigration.takeUsernamesLock)
        guard let verdict = try session.queryFirst(importCheck, rows),
            try verdict.int64Value("unknown") == 0, try verdict.textValue("conflict") == "f"
        else { return false }
        do {
            try session.savepoint("import") {
                try session.query(
                    """
                    INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                    SELECT last.user_id, last.connection_id, last.k, last.v, $2::bigint
                    FROM (
                        SELECT DISTINCT ON (u.id, coalesce(c.id, 0)) r.o, u.id AS user_id, c.id AS connection_id, r.k, r.v
                        FROM json_to_recordset($1::json) AS r(o bigint, u text, c text, k text, v text)
                        JOIN users AS u ON u.name = r.u
                        LEFT JOIN connections AS c ON c.key = r.c
                        ORDER BY u.id, coalesce(c.id, 0), r.o DESC
                    ) AS last
                    ORDER BY last.o
                    ON CONFLICT (user_id, coalesce(connection_id, 0))
                    DO UPDATE SET kind = excluded.kind, value = excluded.value, updated_at = excluded.updated_at
                    """, rows, microseconds)
            }
        } catch let error as PostgresError where !session.isBroken && !error.breaksConnection {
            // The triggers recompute each user from the statement's final
            // mappings, so an order the sequence allows can still meet a
            // transient clash: the row-by-row replay decides.
            return false
        }
        return true
    }

    /// Whether the import, applied row after row, would fail anywhere:
    /// `unknown` counts rows naming no user or no connection; `conflict`
    /// says whether some username would have two owners in one scope
    /// after some row.
    ///
    /// Each row changes its user's effective username in some scopes
    /// ("emissions"): an override in its connection's scope; a default in
    /// the default scope (0) and on every connection where the user has no
    /// override yet (stored, or set by an earlier row). An emission holds
    /// from its row until the user's next emission in that scope; a stored
    /// effective username holds until its user's first emission there. A
    /// username has two owners after some row exactly when two such spans
    /// of different users, in one scope with one username, overlap (two
    /// stored ones never do: the store is consistent before the import).
    static let importCheck = """
        WITH r AS MATERIALIZED (
            SELECT r.o, r.c, r.k, r.v, u.id AS user_id, u.name AS user_name, c.id AS connection_id
            FROM json_to_recordset($1::json) AS r(o bigint, u text, c text, k text, v text)
            LEFT JOIN users AS u ON u.name = r.u
            LEFT JOIN connections AS c ON c.key = r.c
        ), named AS MATERIALIZED (
            SELECT o, user_id, connection_id,
                CASE k WHEN 'UNSET' THEN user_name WHEN 'POSTGRES_USERNAME' THEN v END AS pg_username
            FROM r WHERE user_id IS NOT NULL AND (c IS NULL OR connection_id IS NOT NULL)
        ), emitted AS MATERIALIZED (
            SELECT o, user_id, connection_id AS scope, pg_username FROM named WHERE connection_id IS NOT NULL
            UNION ALL
            SELECT o, user_id, 0::bigint, pg_username FROM named WHERE connection_id IS NULL
            UNION ALL
            SELECT n.o, n.user_id, c.id, n.pg_username
            FROM named AS n CROSS JOIN connections AS c
            WHERE n.connection_id IS NULL
                AND NOT EXISTS (
                    SELECT 1 FROM identity_mappings AS m WHERE m.user_id = n.user_id AND m.connection_id = c.id)
                AND NOT EXISTS (
                    SELECT 1 FROM named AS p WHERE p.user_id = n.user_id AND p.connection_id = c.id AND p.o < n.o)
        ), spans AS MATERIALIZED (
            SELECT user_id, scope, pg_username, o AS since,
                coalesce(lead(o) OVER (PARTITION BY user_id, scope ORDER BY o), 9223372036854775807) AS until
            FROM emitted
        ), firsts AS MATERIALIZED (
            SELECT user_id, scope, min(since) AS first FROM spans GROUP BY user_id, scope
        )
        SELECT
            (SELECT count(*) FROM r WHERE user_id IS NULL OR (c IS NOT NULL AND connection_id IS NULL)) AS unknown,
            EXISTS (
                SELECT 1 FROM spans AS a
                JOIN spans AS b ON b.scope = a.scope AND b.pg_username = a.pg_username AND b.user_id <> a.user_id
                WHERE a.since < b.until AND b.since < a.until
            ) OR EXISTS (
                SELECT 1 FROM spans AS a
                JOIN effective_usernames AS e
                    ON coalesce(e.connection_id, 0) = a.scope AND e.pg_username = a.pg_username
                    AND e.user_id <> a.user_id
                LEFT JOIN firsts AS f ON f.user_id = e.user_id AND f.scope = a.scope
                WHERE a.since < coalesce(f.first, 9223372036854775807)
            ) AS conflict
        """

    /// Every mapping tried under its own savepoint, so one answer names
    /// every row that fails; used only when the set-based check found a
    /// problem.
    static func importRowByRow(_ mappings: [IdentityMapping], at microseconds: Int64, in session: PostgresSession)
        throws -> Int
    {
        var failures: [StoreError.ItemFailure] = []
        for (index, mapping) in mappings.enumerated() {
            do {
                try setMapping(mapping, at: microseconds, in: session)
            } catch {
                // A row's own fault (no such user or connection, a taken
                // username, a broken rule) is reported with the row; a
                // failure of the store itself ends the import.
                let storeError = storeError(error)
                guard !session.isBroken, rowFaults.contains(storeError.code) else { throw error }
                failures.append(.init(index: index, error: storeError))
            }
        }
        guard failures.isEmpty else {
            throw StoreError(
                failures[0].error.code, "\(failures.count) of \(mappings.count) mappings cannot be set; none was",
                itemFailures: failures)
        }
        return mappings.count
    }

    /// The failures that are a mapping's own fault rather than the store's.
    static let rowFaults: Set<StoreError.Code> = [.notFound, .alreadyExists, .invalidArgument, .failedPrecondition]

    public func effectiveIdentities(connectionKey: String, userName: String?) throws(StoreError) -> [EffectiveIdentity] {
        try read { session in
            let connectionID = try Self.connectionID(key: connectionKey, in: session)
            if let userName { _ = try Self.userID(name: userName, in: session) }
            let template = try SettingQueries.identityTemplate(in: session)
            return try session.query(
                """
                SELECT e.user_name, e.kind, e.value, e.source
                FROM effective_identities AS e
                WHERE e.connection_id = $1::bigint AND ($2::text IS NULL OR e.user_name = $2::text)
                ORDER BY e.user_name
                """, connectionID, userName
            ).map { row in
                EffectiveIdentity(
                    userName: try row.textValue("user_name"), connectionKey: connectionKey,
                    identity: try Self.identity(
                        kind: row.value(Identity.Kind.self, "kind"), value: row.optionalTextValue("value")),
                    source: try row.value(EffectiveIdentity.Source.self, "source"), template: template)
            }
        }
    }

    public func effectiveIdentity(userName: String, connectionKey: String) throws(StoreError)
        -> EffectiveIdentity
    {
        try read { session in
            let userID = try Self.userID(name: userName, in: session)
            let connectionID = try Self.connectionID(key: connectionKey, in: session)
            guard
                let row = try session.queryFirst(
                    """
                    SELECT kind, value, source FROM effective_identities
                    WHERE user_id = $1::bigint AND connection_id = $2::bigint
                    """, userID, connectionID)
            else { throw StoreError(.io, "the registry store failed", detail: "effective identity missing") }
            return EffectiveIdentity(
                userName: userName, connectionKey: connectionKey,
                identity: try Self.identity(kind: row.value(Identity.Kind.self, "kind"), value: row.optionalTextValue("value")),
                source: try row.value(EffectiveIdentity.Source.self, "source"),
                template: try SettingQueries.identityTemplate(in: session))
        }
    }
}

// MARK: - Shared steps

extension PostgresRegistryStore {
    /// Creates or replaces one mapping inside the caller's transaction,
    /// under a savepoint, so that a refusal leaves the transaction usable.
    static func setMapping(_ mapping: IdentityMapping, at microseconds: Int64, in session: PostgresSession) throws {
        let ids = try session.queryFirst(
            """
            SELECT (SELECT id FROM users WHERE name = $1::text) AS user_id,
                   (SELECT id FROM connections WHERE key = $2::text) AS connection_id
            """, mapping.userName, mapping.connectionKey)
        guard let userID = try ids?.optionalInt64Value("user_id") else {
            throw StoreError.userNotFound(mapping.userName)
        }
        let connectionID = try ids?.optionalInt64Value("connection_id")
        if let key = mapping.connectionKey, connectionID == nil { throw StoreError.connectionNotFound(key) }
        do {
            try session.savepoint {
                try session.query(
                    """
                    INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                    VALUES ($1::bigint, $2::bigint, $3::text, $4::text, $5::bigint)
                    ON CONFLICT (user_id, coalesce(connection_id, 0))
                    DO UPDATE SET kind = excluded.kind, value = excluded.value, updated_at = excluded.updated_at
                    """, userID, connectionID, mapping.identity.kind.rawValue, mapping.identity.value, microseconds)
            }
        } catch where StoreError.isUniqueViolation(error, on: usernameOwnerIndex) {
            var mappings = try mappingsByScope(userID: userID, in: session)
            mappings[connectionID] = mapping.identity
            throw try usernameConflict(
                userID: userID, userName: mapping.userName, mappings: mappings, cause: error, in: session)
        }
    }

    static func identity(kind: Identity.Kind, value: String?) throws(StoreError) -> Identity {
        guard let identity = Identity(kind: kind, value: value) else {
            throw StoreError(.corrupt, "the registry store holds a mapping without its value")
        }
        return identity
    }

    /// The user's stored mappings, keyed by connection id (nil: the default).
    static func mappingsByScope(userID: Int64, in session: PostgresSession) throws -> [Int64?: Identity] {
        var mappings: [Int64?: Identity] = [:]
        for row in try session.query(
            "SELECT connection_id, kind, value FROM identity_mappings WHERE user_id = $1::bigint", userID)
        {
            mappings[try row.optionalInt64Value("connection_id")] = try identity(
                kind: row.value(Identity.Kind.self, "kind"), value: row.optionalTextValue("value"))
        }
        return mappings
    }

    /// Explains a refusal by the ownership index: works out, from the
    /// mappings the user would have had, which username on which connection
    /// collided and whose it is. Runs after the failed statement's
    /// savepoint was rolled back, inside the transaction.
    static func usernameConflict(
        userID: Int64?, userName: String, mappings: [Int64?: Identity], cause: any Error,
        in session: PostgresSession
    ) throws -> StoreError {
        let connections: [(Int64?, String?)] = try session.query("SELECT id, key FROM connections ORDER BY key").map {
            row in (try row.int64Value("id"), try row.textValue("key"))
        }
        for (connectionID, connectionKey) in [(nil, nil)] + connections {
            let identity = connectionID.flatMap { mappings[$0] } ?? mappings[nil] ?? .unset
            guard let username = identity.postgresUsername(forUser: userName) else { continue }
            let owner = try session.queryFirst(
                """
                SELECT u.name FROM effective_usernames AS e JOIN users AS u ON u.id = e.user_id
                WHERE coalesce(e.connection_id, 0) = coalesce($1::bigint, 0) AND e.pg_username = $2::text
                    AND e.user_id IS DISTINCT FROM $3::bigint
                """, connectionID, username, userID)
            guard let owner = try owner?.textValue("name") else { continue }
            let message = connectionKey.map {
                "PostgreSQL username \"\(username)\" on connection \"\($0)\" already belongs to user \"\(owner)\""
            } ?? "PostgreSQL username \"\(username)\" is already the default of user \"\(owner)\""
            return StoreError(.alreadyExists, message, detail: "\(cause)")
        }
        return StoreError(
            .alreadyExists, "the change would give one PostgreSQL username to two users on one connection",
            detail: "\(cause)")
    }
}

import StewardPostgres

/// PostgreSQL's one set-based path for users and mappings, kept because it
/// measurably matters: the shared row-by-row import (``MappingQueries``)
/// costs three round trips a row, so 10,000 rows held the usernames lock for
/// about 25 s on a loaded machine (SQLite, in process: 1.6 s). Here a clean
/// import is two statements whatever its size; an import with any problem
/// is replayed by the shared code, which names every failing row.
extension PostgresRegistryStore {
    /// All or none, exactly as if the rows were set one after the other in
    /// file order (so a row may conflict with an earlier row of the same
    /// import). Rolled back when anything failed or this is a dry run.
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
        // Alone: a large import would hold up a group's other writers.
        return try write(commit: !dryRun, alone: true) { session in
            try session.lockUsernames()
            if try Self.importSetBased(rows, at: now.microseconds, in: session) { return mappings.count }
            return try MappingQueries.importRows(mappings, dryRun: dryRun, at: now.microseconds, in: session)
        }
    }

    /// Checks the whole import and, when it is clean, sets every row with
    /// one statement. False: something would fail (or the statement was
    /// refused and undone); the caller replays the rows one by one. Runs
    /// under the usernames lock, so what is checked is what the triggers meet.
    static func importSetBased(_ rows: String, at microseconds: Int64, in session: PostgresSession) throws -> Bool {
        guard let verdict = try session.queryFirst(importCheck, rows),
            try verdict.int64Value("unknown") == 0, try verdict.textValue("conflict") == "f"
        else { return false }
        do {
            _ = try session.savepoint("import") {
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
            // The triggers recompute each claim as the statement reaches its
            // row, so an order the sequence allows can still meet a
            // transient clash (or a value the schema refuses): the
            // row-by-row replay decides.
            return false
        }
        return true
    }

    /// Whether the import, applied row after row, would fail anywhere:
    /// `unknown` counts rows naming no user or no connection; `conflict`
    /// says whether some username would have two owners after some row.
    ///
    /// Each row gives its user a claim in its scope (0: the default), or
    /// none (NONE, an IAM principal), from its row until the user's next row
    /// in that scope; a stored claim holds until the user's first row there.
    /// Only stored claims of usernames the import names can meet a new one.
    /// After some row, two claims of different users clash when they
    /// overlap in one scope with one username, or when a connection claim
    /// overlaps another user's default claim with one username while that
    /// user has no mapping on the connection (stored, or set by a row so
    /// far). Two stored claims never clash: the store is consistent.
    static let importCheck = """
        WITH r AS MATERIALIZED (
            SELECT r.o, r.c, r.k, r.v, u.id AS user_id, u.name AS user_name, c.id AS connection_id
            FROM json_to_recordset($1::json) AS r(o bigint, u text, c text, k text, v text)
            LEFT JOIN users AS u ON u.name = r.u
            LEFT JOIN connections AS c ON c.key = r.c
        ), named AS MATERIALIZED (
            SELECT o, user_id, coalesce(connection_id, 0) AS scope,
                CASE k WHEN 'UNSET' THEN user_name WHEN 'POSTGRES_USERNAME' THEN v END AS pg_username
            FROM r WHERE user_id IS NOT NULL AND (c IS NULL OR connection_id IS NOT NULL)
        ), firsts AS MATERIALIZED (
            SELECT user_id, scope, min(o) AS first FROM named GROUP BY user_id, scope
        ), spans AS MATERIALIZED (
            SELECT * FROM (
                SELECT user_id, scope, pg_username, o AS since,
                    coalesce(lead(o) OVER (PARTITION BY user_id, scope ORDER BY o), 9223372036854775807) AS until
                FROM named
            ) AS imported WHERE pg_username IS NOT NULL
            UNION ALL
            SELECT s.user_id, coalesce(s.connection_id, 0), s.pg_username, -1,
                coalesce(f.first, 9223372036854775807)
            FROM username_claims AS s
            LEFT JOIN firsts AS f ON f.user_id = s.user_id AND f.scope = coalesce(s.connection_id, 0)
            WHERE s.pg_username IN (SELECT pg_username FROM named WHERE pg_username IS NOT NULL)
        )
        SELECT
            (SELECT count(*) FROM r WHERE user_id IS NULL OR (c IS NOT NULL AND connection_id IS NULL)) AS unknown,
            EXISTS (
                SELECT 1 FROM spans AS a
                JOIN spans AS b ON b.scope = a.scope AND b.pg_username = a.pg_username AND b.user_id <> a.user_id
                WHERE a.since < b.until AND b.since < a.until
            ) OR EXISTS (
                SELECT 1 FROM spans AS a
                JOIN spans AS b ON b.scope = 0 AND b.pg_username = a.pg_username AND b.user_id <> a.user_id
                WHERE a.scope <> 0
                    AND greatest(a.since, b.since) < least(a.until, b.until, coalesce(
                        (SELECT -1 FROM identity_mappings AS m WHERE m.user_id = b.user_id AND m.connection_id = a.scope),
                        (SELECT f.first FROM firsts AS f WHERE f.user_id = b.user_id AND f.scope = a.scope),
                        9223372036854775807))
            ) AS conflict
        """
}

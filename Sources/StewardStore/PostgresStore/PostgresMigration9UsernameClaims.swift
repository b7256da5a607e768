extension PostgresMigration {
    /// SQLite's migration 9 (``Migration/v9UsernameClaims``): `username_claims`
    /// (each user's default username and each connection mapping's) instead
    /// of `effective_usernames` (every user on every connection), with the
    /// same ownership rule. Every function that changes claims, or checks
    /// them, first takes the usernames lock (0x53545744 "STWD", 2), so that
    /// under READ COMMITTED each check sees what other daemons committed:
    /// the unique indexes settle claims in one scope by themselves, but a
    /// connection claim against another user's default needs the lock.
    package static let v9UsernameClaims = PostgresMigration(
        version: 9, summary: "username_claims instead of effective_usernames",
        statements: [
            "DROP TRIGGER users_effective_usernames_insert ON users",
            "DROP TRIGGER users_effective_usernames_rename ON users",
            "DROP TRIGGER identity_mappings_effective ON identity_mappings",
            "DROP TRIGGER connections_effective_usernames_insert ON connections",
            "DROP FUNCTION users_effective_usernames()",
            "DROP FUNCTION identity_mappings_effective()",
            "DROP FUNCTION connections_effective_usernames()",
            "DROP FUNCTION refresh_effective_usernames(bigint[])",
            "DROP TABLE effective_usernames",
            """
            CREATE TABLE username_claims (
                user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                connection_id bigint REFERENCES connections (id) ON DELETE CASCADE,
                pg_username text COLLATE "C" NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX username_claims_owner ON username_claims (pg_username, coalesce(connection_id, 0))",
            "CREATE UNIQUE INDEX username_claims_scope ON username_claims (user_id, coalesce(connection_id, 0))",
            "CREATE INDEX username_claims_by_connection ON username_claims (connection_id)",
            """
            INSERT INTO username_claims (user_id, connection_id, pg_username)
                SELECT u.id, NULL, CASE WHEN m.user_id IS NULL OR m.kind = 'UNSET' THEN u.name ELSE m.value END
                FROM users AS u
                LEFT JOIN identity_mappings AS m ON m.user_id = u.id AND m.connection_id IS NULL
                WHERE m.user_id IS NULL OR m.kind IN ('UNSET', 'POSTGRES_USERNAME')
            """,
            """
            INSERT INTO username_claims (user_id, connection_id, pg_username)
                SELECT m.user_id, m.connection_id, CASE m.kind WHEN 'UNSET' THEN u.name ELSE m.value END
                FROM identity_mappings AS m JOIN users AS u ON u.id = m.user_id
                WHERE m.connection_id IS NOT NULL AND m.kind IN ('UNSET', 'POSTGRES_USERNAME')
            """,
            // The one claim of a user in a scope (NULL: the default),
            // recomputed: a mapping's username there, else, for the
            // default, the user's name.
            """
            CREATE FUNCTION recompute_username_claim(claim_user bigint, claim_scope bigint) RETURNS void
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock(1398036292, 2);
                DELETE FROM username_claims
                WHERE user_id = claim_user AND coalesce(connection_id, 0) = coalesce(claim_scope, 0);
                INSERT INTO username_claims (user_id, connection_id, pg_username)
                    SELECT u.id, claim_scope,
                        CASE WHEN m.user_id IS NULL OR m.kind = 'UNSET' THEN u.name ELSE m.value END
                    FROM users AS u
                    LEFT JOIN identity_mappings AS m
                        ON m.user_id = u.id AND coalesce(m.connection_id, 0) = coalesce(claim_scope, 0)
                    WHERE u.id = claim_user AND CASE WHEN m.user_id IS NULL THEN claim_scope IS NULL
                        ELSE m.kind IN ('UNSET', 'POSTGRES_USERNAME') END;
            END
            $$
            """,
            """
            CREATE FUNCTION users_username_claims() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    PERFORM pg_advisory_xact_lock(1398036292, 2);
                    INSERT INTO username_claims (user_id, connection_id, pg_username) VALUES (NEW.id, NULL, NEW.name);
                ELSE
                    PERFORM recompute_username_claim(NEW.id, NULL);
                    PERFORM recompute_username_claim(NEW.id, m.connection_id)
                    FROM identity_mappings AS m WHERE m.user_id = NEW.id AND m.connection_id IS NOT NULL;
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER users_username_claims_insert AFTER INSERT ON users
            FOR EACH ROW EXECUTE FUNCTION users_username_claims()
            """,
            """
            CREATE TRIGGER users_username_claims_rename AFTER UPDATE OF name ON users
            FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name) EXECUTE FUNCTION users_username_claims()
            """,
            // A connection mapping removed (or moved away) lets its user's
            // default apply there again: refused when another user claims
            // that username there. Not when the user or the connection is
            // itself going (a cascade).
            """
            CREATE FUNCTION identity_mappings_claims() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN
                    PERFORM recompute_username_claim(OLD.user_id, OLD.connection_id);
                END IF;
                IF TG_OP <> 'DELETE' THEN
                    PERFORM recompute_username_claim(NEW.user_id, NEW.connection_id);
                END IF;
                IF TG_OP <> 'INSERT' AND OLD.connection_id IS NOT NULL
                    AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
                    AND EXISTS (SELECT 1 FROM connections WHERE id = OLD.connection_id)
                    AND NOT EXISTS (
                        SELECT 1 FROM identity_mappings
                        WHERE user_id = OLD.user_id AND connection_id = OLD.connection_id)
                    AND EXISTS (
                        SELECT 1 FROM username_claims AS d JOIN username_claims AS o
                            ON o.pg_username = d.pg_username AND o.connection_id = OLD.connection_id
                        WHERE d.user_id = OLD.user_id AND d.connection_id IS NULL AND o.user_id <> OLD.user_id)
                THEN
                    RAISE EXCEPTION '\(Migration.usernameClaimRefusal)' USING ERRCODE = 'unique_violation';
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER identity_mappings_claims AFTER INSERT OR UPDATE OR DELETE ON identity_mappings
            FOR EACH ROW EXECUTE FUNCTION identity_mappings_claims()
            """,
            // A connection claim against another user's default there (a
            // user with no mapping of its own on that connection), and a
            // default claim against another user's connection claim where
            // this user has no mapping.
            """
            CREATE FUNCTION username_claims_defaults() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock(1398036292, 2);
                IF NEW.connection_id IS NOT NULL AND EXISTS (
                    SELECT 1 FROM username_claims AS d
                    WHERE d.pg_username = NEW.pg_username AND d.connection_id IS NULL AND d.user_id <> NEW.user_id
                        AND NOT EXISTS (
                            SELECT 1 FROM identity_mappings AS m
                            WHERE m.user_id = d.user_id AND m.connection_id = NEW.connection_id))
                OR NEW.connection_id IS NULL AND EXISTS (
                    SELECT 1 FROM username_claims AS o
                    WHERE o.pg_username = NEW.pg_username AND o.connection_id IS NOT NULL
                        AND o.user_id <> NEW.user_id
                        AND NOT EXISTS (
                            SELECT 1 FROM identity_mappings AS m
                            WHERE m.user_id = NEW.user_id AND m.connection_id = o.connection_id))
                THEN
                    RAISE EXCEPTION '\(Migration.usernameClaimRefusal)' USING ERRCODE = 'unique_violation';
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER username_claims_defaults AFTER INSERT ON username_claims
            FOR EACH ROW EXECUTE FUNCTION username_claims_defaults()
            """,
            // Claims are derived: changed only by deleting and inserting.
            """
            CREATE FUNCTION username_claims_no_update() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                RAISE EXCEPTION 'username_claims_follow: username claims follow users and mappings'
                    USING ERRCODE = 'SW001';
            END
            $$
            """,
            """
            CREATE TRIGGER username_claims_no_update BEFORE UPDATE ON username_claims
            FOR EACH ROW EXECUTE FUNCTION username_claims_no_update()
            """,
        ])
}

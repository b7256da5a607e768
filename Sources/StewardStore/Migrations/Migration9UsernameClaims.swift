extension Migration {
    /// Storage linear in users + connections (DESIGN §4, issue 13 item 6).
    ///
    /// Until version 8, `effective_usernames` held every user's username on
    /// every connection (users × connections rows), so creating a user or a
    /// connection, or changing a default, rewrote a row per connection. Now
    /// `username_claims` holds only what is stored: each user's default
    /// username (its default mapping's, else its name) and each connection
    /// mapping that names one. The ownership rule holds as before:
    ///
    /// - among defaults, and among one connection's mappings, one username
    ///   has one owner (`username_claims_owner`, a unique index);
    /// - a connection mapping may not take a username that is another user's
    ///   default there, i.e. of a user with no mapping of its own on that
    ///   connection (`username_claims_defaults`, triggers: a new connection
    ///   claim, a new default claim, and a removed connection mapping, which
    ///   lets its user's default apply there again, are each checked).
    ///
    /// A default reaches every connection, including later ones, which is why
    /// defaults are unique among all users; so a new connection has nothing to
    /// check or store. The claims are derived from users and mappings here,
    /// so the data carried over is exactly what version 8 held.
    package static let v9UsernameClaims = Migration(
        version: 9, summary: "username_claims instead of effective_usernames",
        sql: """
            DROP TRIGGER users_effective_usernames_insert;
            DROP TRIGGER users_effective_usernames_rename;
            DROP TRIGGER identity_mappings_effective_insert;
            DROP TRIGGER identity_mappings_effective_update;
            DROP TRIGGER identity_mappings_effective_delete;
            DROP TRIGGER connections_effective_usernames_insert;
            DROP TABLE effective_usernames;

            CREATE TABLE username_claims (
                user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                connection_id INTEGER REFERENCES connections (id) ON DELETE CASCADE,
                pg_username TEXT NOT NULL
            ) STRICT;
            CREATE UNIQUE INDEX username_claims_owner ON username_claims (pg_username, ifnull(connection_id, 0));
            CREATE UNIQUE INDEX username_claims_scope ON username_claims (user_id, ifnull(connection_id, 0));
            CREATE INDEX username_claims_by_connection ON username_claims (connection_id);

            INSERT INTO username_claims (user_id, connection_id, pg_username)
                SELECT u.id, NULL, CASE WHEN m.user_id IS NULL OR m.kind = 'UNSET' THEN u.name ELSE m.value END
                FROM users AS u
                LEFT JOIN identity_mappings AS m ON m.user_id = u.id AND m.connection_id IS NULL
                WHERE m.user_id IS NULL OR m.kind IN ('UNSET', 'POSTGRES_USERNAME');
            INSERT INTO username_claims (user_id, connection_id, pg_username)
                SELECT m.user_id, m.connection_id, CASE m.kind WHEN 'UNSET' THEN u.name ELSE m.value END
                FROM identity_mappings AS m JOIN users AS u ON u.id = m.user_id
                WHERE m.connection_id IS NOT NULL AND m.kind IN ('UNSET', 'POSTGRES_USERNAME');

            -- Claims follow users and mappings: each change recomputes the
            -- one claim of the (user, scope) it touched.
            CREATE TRIGGER users_username_claims_insert AFTER INSERT ON users
            BEGIN
                INSERT INTO username_claims (user_id, connection_id, pg_username) VALUES (NEW.id, NULL, NEW.name);
            END;

            CREATE TRIGGER users_username_claims_rename AFTER UPDATE OF name ON users
            WHEN NEW.name IS NOT OLD.name
            BEGIN
                DELETE FROM username_claims WHERE user_id = NEW.id;
                \(claims(user: "NEW.id"))
            END;

            CREATE TRIGGER identity_mappings_claims_insert AFTER INSERT ON identity_mappings
            BEGIN
                \(recompute(user: "NEW.user_id", scope: "NEW.connection_id"))
            END;

            CREATE TRIGGER identity_mappings_claims_update AFTER UPDATE ON identity_mappings
            BEGIN
                \(recompute(user: "OLD.user_id", scope: "OLD.connection_id"))
                \(recompute(user: "NEW.user_id", scope: "NEW.connection_id"))
            END;

            CREATE TRIGGER identity_mappings_claims_delete AFTER DELETE ON identity_mappings
            BEGIN
                \(recompute(user: "OLD.user_id", scope: "OLD.connection_id"))
            END;

            -- Claims are derived: changed only by deleting and inserting.
            CREATE TRIGGER username_claims_no_update BEFORE UPDATE ON username_claims
            BEGIN
                SELECT RAISE(ABORT, 'username_claims_follow: username claims follow users and mappings');
            END;

            -- A connection claim against another user's default there.
            CREATE TRIGGER username_claims_defaults_connection AFTER INSERT ON username_claims
            WHEN NEW.connection_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM username_claims AS d
                WHERE d.pg_username = NEW.pg_username AND d.connection_id IS NULL AND d.user_id <> NEW.user_id
                    AND NOT EXISTS (
                        SELECT 1 FROM identity_mappings AS m
                        WHERE m.user_id = d.user_id AND m.connection_id = NEW.connection_id))
            BEGIN
                SELECT RAISE(ABORT, '\(refusal)');
            END;

            -- A default claim against another user's connection claim on a
            -- connection where this user has no mapping of its own.
            CREATE TRIGGER username_claims_defaults_default AFTER INSERT ON username_claims
            WHEN NEW.connection_id IS NULL AND EXISTS (
                SELECT 1 FROM username_claims AS o
                WHERE o.pg_username = NEW.pg_username AND o.connection_id IS NOT NULL AND o.user_id <> NEW.user_id
                    AND NOT EXISTS (
                        SELECT 1 FROM identity_mappings AS m
                        WHERE m.user_id = NEW.user_id AND m.connection_id = o.connection_id))
            BEGIN
                SELECT RAISE(ABORT, '\(refusal)');
            END;

            -- A connection mapping removed (or moved away): its user's default
            -- applies there again. Not when the user or the connection itself
            -- is going (a cascade).
            CREATE TRIGGER username_claims_defaults_uncovered AFTER DELETE ON identity_mappings
            WHEN OLD.connection_id IS NOT NULL \(uncovered)
            BEGIN
                SELECT RAISE(ABORT, '\(refusal)');
            END;

            CREATE TRIGGER username_claims_defaults_moved AFTER UPDATE OF user_id, connection_id ON identity_mappings
            WHEN OLD.connection_id IS NOT NULL \(uncovered)
            BEGIN
                SELECT RAISE(ABORT, '\(refusal)');
            END;
            """)

    /// The trigger refusal's text: names the rule, never the username.
    static let usernameClaimRefusal =
        "username_claims_defaults: a PostgreSQL username on a connection belongs to one user"
    private static let refusal = usernameClaimRefusal

    /// Whether OLD's user, its connection mapping gone, would meet its
    /// default username taken on OLD's connection.
    private static let uncovered = """
        AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
                AND EXISTS (SELECT 1 FROM connections WHERE id = OLD.connection_id)
                AND NOT EXISTS (
                    SELECT 1 FROM identity_mappings
                    WHERE user_id = OLD.user_id AND connection_id = OLD.connection_id)
                AND EXISTS (
                    SELECT 1 FROM username_claims AS d JOIN username_claims AS o
                        ON o.pg_username = d.pg_username AND o.connection_id = OLD.connection_id
                    WHERE d.user_id = OLD.user_id AND d.connection_id IS NULL AND o.user_id <> OLD.user_id)
        """

    /// Every claim of one user, as its name and mappings make them.
    private static func claims(user: String) -> String {
        """
        INSERT INTO username_claims (user_id, connection_id, pg_username)
                    SELECT u.id, NULL, CASE WHEN m.user_id IS NULL OR m.kind = 'UNSET' THEN u.name ELSE m.value END
                    FROM users AS u
                    LEFT JOIN identity_mappings AS m ON m.user_id = u.id AND m.connection_id IS NULL
                    WHERE u.id = \(user) AND (m.user_id IS NULL OR m.kind IN ('UNSET', 'POSTGRES_USERNAME'));
                INSERT INTO username_claims (user_id, connection_id, pg_username)
                    SELECT m.user_id, m.connection_id, CASE m.kind WHEN 'UNSET' THEN u.name ELSE m.value END
                    FROM identity_mappings AS m JOIN users AS u ON u.id = m.user_id
                    WHERE m.user_id = \(user) AND m.connection_id IS NOT NULL
                        AND m.kind IN ('UNSET', 'POSTGRES_USERNAME');
        """
    }

    /// The one claim of `user` in `scope` (NULL: the default) recomputed: a
    /// mapping's username there, else, for the default, the user's name.
    private static func recompute(user: String, scope: String) -> String {
        """
        DELETE FROM username_claims WHERE user_id = \(user) AND ifnull(connection_id, 0) = ifnull(\(scope), 0);
                INSERT INTO username_claims (user_id, connection_id, pg_username)
                    SELECT u.id, \(scope), CASE WHEN m.user_id IS NULL OR m.kind = 'UNSET' THEN u.name ELSE m.value END
                    FROM users AS u
                    LEFT JOIN identity_mappings AS m ON m.user_id = u.id AND ifnull(m.connection_id, 0) = ifnull(\(scope), 0)
                    WHERE u.id = \(user) AND CASE WHEN m.user_id IS NULL THEN \(scope) IS NULL
                        ELSE m.kind IN ('UNSET', 'POSTGRES_USERNAME') END;
        """
    }
}

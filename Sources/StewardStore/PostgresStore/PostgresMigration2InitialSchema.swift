extension PostgresMigration {
    /// The initial shared schema, version 2: the shape SQLite's schema has
    /// at version 2 (shared mode began there, so there is no version 1), with its rules
    /// enforced by PostgreSQL itself: CHECKs for legal values, unique keys
    /// and names (binary "C" collation, so order and comparison match
    /// SQLite's), PL/pgSQL triggers for the lifecycle (born REGISTERED; a
    /// state changes only with a transition recorded from the state it
    /// was in; only an INACTIVE connection is deleted), append-only history
    /// and audit, and one owner per effective PostgreSQL username per
    /// connection (the `effective_usernames` table and its unique index).
    ///
    /// Concurrency: the transition trigger locks the connection row, so two
    /// daemons cannot both record a transition from the same state; every
    /// recomputation of effective usernames takes the usernames advisory
    /// lock, so it reads what the previous one committed.
    package static let v2InitialSchema = PostgresMigration(
        version: 2, summary: "initial shared schema (the shape of version 2)",
        statements: [
            "CREATE SCHEMA steward_registry",
            """
            CREATE TABLE schema_migrations (
                version integer NOT NULL PRIMARY KEY,
                summary text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE meta (
                name text COLLATE "C" NOT NULL PRIMARY KEY,
                value bytea NOT NULL
            )
            """,
            """
            CREATE TABLE connections (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                key text COLLATE "C" NOT NULL,
                display_name text NOT NULL,
                deployment_type text NOT NULL,
                host text NOT NULL,
                port bigint NOT NULL,
                state_database text COLLATE "C" NOT NULL,
                username text NOT NULL,
                password_sealed bytea NOT NULL,
                ssl_mode text NOT NULL,
                ca_certificate text,
                state text NOT NULL,
                revision bigint NOT NULL,
                settings_revision bigint NOT NULL,
                created_at bigint NOT NULL,
                updated_at bigint NOT NULL,
                created_by bigint NOT NULL,
                CONSTRAINT connection_key_unique UNIQUE (key),
                CONSTRAINT connection_key_format
                    CHECK (length(key) BETWEEN 1 AND 64 AND key !~ '[^A-Za-z0-9_-]'),
                CONSTRAINT connection_display_name_present CHECK (length(display_name) > 0),
                CONSTRAINT connection_deployment_type CHECK (deployment_type IN ('NEON', 'SELF_MANAGED')),
                CONSTRAINT connection_host_present CHECK (length(host) > 0),
                CONSTRAINT connection_port_range CHECK (port BETWEEN 1 AND 65535),
                CONSTRAINT connection_state_database_present CHECK (length(state_database) > 0),
                CONSTRAINT connection_username_present CHECK (length(username) > 0),
                CONSTRAINT connection_password_sealed CHECK (octet_length(password_sealed) >= 28),
                CONSTRAINT connection_ssl_mode
                    CHECK (ssl_mode IN ('disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full')),
                CONSTRAINT connection_neon_verifies_tls
                    CHECK (deployment_type <> 'NEON' OR ssl_mode = 'verify-full'),
                CONSTRAINT connection_state CHECK (state IN
                    ('REGISTERED', 'VALIDATED', 'VALIDATION_FAILED', 'ACTIVE', 'UNHEALTHY', 'INACTIVE')),
                CONSTRAINT connection_revision_positive CHECK (revision >= 1),
                CONSTRAINT connection_settings_revision CHECK (settings_revision BETWEEN 1 AND revision),
                CONSTRAINT connection_created_by_uid CHECK (created_by BETWEEN 0 AND 4294967295)
            )
            """,
            """
            CREATE TABLE governed_databases (
                connection_id bigint NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
                position integer NOT NULL,
                name text COLLATE "C" NOT NULL,
                PRIMARY KEY (connection_id, position),
                CONSTRAINT governed_database_unique UNIQUE (connection_id, name),
                CONSTRAINT governed_database_name_present CHECK (length(name) > 0)
            )
            """,
            """
            CREATE TABLE connection_transitions (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                connection_id bigint NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
                from_state text,
                to_state text NOT NULL,
                actor_uid bigint NOT NULL,
                at bigint NOT NULL,
                reason text NOT NULL,
                CONSTRAINT transition_from_state CHECK (from_state IS NULL OR from_state IN
                    ('REGISTERED', 'VALIDATED', 'VALIDATION_FAILED', 'ACTIVE', 'UNHEALTHY', 'INACTIVE')),
                CONSTRAINT transition_to_state CHECK (to_state IN
                    ('REGISTERED', 'VALIDATED', 'VALIDATION_FAILED', 'ACTIVE', 'UNHEALTHY', 'INACTIVE')),
                CONSTRAINT transition_actor_uid CHECK (actor_uid BETWEEN 0 AND 4294967295)
            )
            """,
            "CREATE INDEX connection_transitions_by_connection ON connection_transitions (connection_id, id)",
            """
            CREATE TABLE validation_reports (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                connection_id bigint NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
                connection_revision bigint NOT NULL,
                at bigint NOT NULL,
                outcome text NOT NULL,
                CONSTRAINT validation_outcome CHECK (outcome IN ('PASSED', 'WARNING', 'FAILED'))
            )
            """,
            "CREATE INDEX validation_reports_by_connection ON validation_reports (connection_id, id)",
            """
            CREATE TABLE validation_checks (
                report_id bigint NOT NULL REFERENCES validation_reports (id) ON DELETE CASCADE,
                position integer NOT NULL,
                name text NOT NULL,
                status text NOT NULL,
                message text NOT NULL,
                failing_object_count bigint NOT NULL,
                remediation_sql text,
                PRIMARY KEY (report_id, position),
                CONSTRAINT check_status CHECK (status IN ('PASSED', 'FAILED', 'WARNING', 'SKIPPED')),
                CONSTRAINT check_failing_object_count CHECK (failing_object_count >= 0)
            )
            """,
            """
            CREATE TABLE validation_failing_objects (
                report_id bigint NOT NULL,
                check_position integer NOT NULL,
                position integer NOT NULL,
                object text NOT NULL,
                PRIMARY KEY (report_id, check_position, position),
                FOREIGN KEY (report_id, check_position)
                    REFERENCES validation_checks (report_id, position) ON DELETE CASCADE
            )
            """,
            """
            CREATE TABLE data_sources (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                connection_id bigint NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
                database_name text COLLATE "C" NOT NULL,
                schema_name text COLLATE "C" NOT NULL,
                table_name text COLLATE "C" NOT NULL,
                name text COLLATE "C" NOT NULL,
                state text NOT NULL,
                created_at bigint NOT NULL,
                updated_at bigint NOT NULL,
                CONSTRAINT data_source_unique UNIQUE (connection_id, database_name, schema_name, table_name),
                CONSTRAINT data_source_state CHECK (state IN ('ENABLED', 'DISABLED'))
            )
            """,
            "CREATE INDEX data_sources_by_name ON data_sources (name, id)",
            """
            CREATE TABLE data_source_columns (
                data_source_id bigint NOT NULL REFERENCES data_sources (id) ON DELETE CASCADE,
                position bigint NOT NULL,
                name text COLLATE "C" NOT NULL,
                type text NOT NULL,
                PRIMARY KEY (data_source_id, position),
                CONSTRAINT data_source_column_unique UNIQUE (data_source_id, name),
                CONSTRAINT data_source_column_position CHECK (position >= 1)
            )
            """,
            """
            CREATE TABLE users (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name text COLLATE "C" NOT NULL,
                uid bigint NOT NULL,
                created_at bigint NOT NULL,
                CONSTRAINT user_name_unique UNIQUE (name),
                CONSTRAINT user_uid_unique UNIQUE (uid),
                CONSTRAINT user_name_present CHECK (length(name) > 0),
                CONSTRAINT user_uid_range CHECK (uid BETWEEN 0 AND 4294967295)
            )
            """,
            """
            CREATE TABLE user_permissions (
                user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                permission text NOT NULL,
                PRIMARY KEY (user_id, permission),
                CONSTRAINT user_permission CHECK (permission IN ('APPLICATION_ADMIN', 'USER_ADMIN'))
            )
            """,
            // A user's identity by default (connection_id NULL) or on one connection.
            """
            CREATE TABLE identity_mappings (
                user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                connection_id bigint REFERENCES connections (id) ON DELETE CASCADE,
                kind text NOT NULL,
                value text COLLATE "C",
                updated_at bigint NOT NULL,
                CONSTRAINT identity_mapping_kind
                    CHECK (kind IN ('POSTGRES_USERNAME', 'IAM_PRINCIPAL', 'UNSET', 'NONE')),
                CONSTRAINT identity_mapping_value CHECK (
                    (kind IN ('POSTGRES_USERNAME', 'IAM_PRINCIPAL')) = (value IS NOT NULL AND length(value) > 0))
            )
            """,
            "CREATE UNIQUE INDEX identity_mappings_scope ON identity_mappings (user_id, coalesce(connection_id, 0))",
            "CREATE INDEX identity_mappings_by_connection ON identity_mappings (connection_id)",
            // Every user's identity in every scope: the default scope
            // (connection_id NULL) and each connection, after defaults apply.
            """
            CREATE VIEW effective_identities AS
            WITH scopes (connection_id) AS (SELECT NULL::bigint UNION ALL SELECT id FROM connections)
            SELECT u.id AS user_id,
                   u.name AS user_name,
                   s.connection_id AS connection_id,
                   CASE WHEN mc.user_id IS NOT NULL THEN mc.kind
                        WHEN md.user_id IS NOT NULL THEN md.kind
                        ELSE 'UNSET' END AS kind,
                   CASE WHEN mc.user_id IS NOT NULL THEN mc.value
                        WHEN md.user_id IS NOT NULL THEN md.value END AS value,
                   CASE WHEN mc.user_id IS NOT NULL THEN 'CONNECTION'
                        WHEN md.user_id IS NOT NULL THEN 'DEFAULT'
                        ELSE 'FALLBACK' END AS source
            FROM users AS u
            CROSS JOIN scopes AS s
            LEFT JOIN identity_mappings AS mc ON mc.user_id = u.id AND mc.connection_id = s.connection_id
            LEFT JOIN identity_mappings AS md ON md.user_id = u.id AND md.connection_id IS NULL
            """,
            // The PostgreSQL username each user has in each scope, kept by
            // the triggers below. Its unique index is the ownership rule:
            // within one connection (and among defaults, which reach every
            // connection, including later ones) a username belongs to at
            // most one user.
            """
            CREATE TABLE effective_usernames (
                user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                connection_id bigint REFERENCES connections (id) ON DELETE CASCADE,
                pg_username text COLLATE "C" NOT NULL
            )
            """,
            """
            CREATE UNIQUE INDEX effective_usernames_owner
                ON effective_usernames (coalesce(connection_id, 0), pg_username)
            """,
            """
            CREATE UNIQUE INDEX effective_usernames_scope
                ON effective_usernames (user_id, coalesce(connection_id, 0))
            """,
            "CREATE INDEX effective_usernames_by_connection ON effective_usernames (connection_id)",
            // Recomputes the users' rows under the usernames lock: each
            // statement after the lock sees what earlier holders committed.
            """
            CREATE FUNCTION refresh_effective_usernames(user_ids bigint[]) RETURNS void
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                -- The usernames lock: (0x53545744 "STWD", 2). Every change to the
                -- effective usernames takes it, so each recomputation sees the
                -- others' committed results rather than a stale snapshot.
                PERFORM pg_advisory_xact_lock(1398036292, 2);
                DELETE FROM effective_usernames WHERE user_id = ANY (user_ids);
                INSERT INTO effective_usernames (user_id, connection_id, pg_username)
                    SELECT user_id, connection_id, CASE kind WHEN 'UNSET' THEN user_name ELSE value END
                    FROM effective_identities
                    WHERE user_id = ANY (user_ids) AND kind IN ('UNSET', 'POSTGRES_USERNAME');
            END
            $$
            """,
            """
            CREATE FUNCTION users_effective_usernames() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                PERFORM refresh_effective_usernames(ARRAY[NEW.id]);
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER users_effective_usernames_insert AFTER INSERT ON users
            FOR EACH ROW EXECUTE FUNCTION users_effective_usernames()
            """,
            """
            CREATE TRIGGER users_effective_usernames_rename AFTER UPDATE OF name ON users
            FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name) EXECUTE FUNCTION users_effective_usernames()
            """,
            """
            CREATE FUNCTION identity_mappings_effective() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    PERFORM refresh_effective_usernames(ARRAY[NEW.user_id]);
                ELSIF TG_OP = 'UPDATE' THEN
                    PERFORM refresh_effective_usernames(ARRAY[OLD.user_id, NEW.user_id]);
                ELSE
                    PERFORM refresh_effective_usernames(ARRAY[OLD.user_id]);
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER identity_mappings_effective AFTER INSERT OR UPDATE OR DELETE ON identity_mappings
            FOR EACH ROW EXECUTE FUNCTION identity_mappings_effective()
            """,
            """
            CREATE FUNCTION connections_effective_usernames() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                -- The usernames lock: (0x53545744 "STWD", 2). Every change to the
                -- effective usernames takes it, so each recomputation sees the
                -- others' committed results rather than a stale snapshot.
                PERFORM pg_advisory_xact_lock(1398036292, 2);
                INSERT INTO effective_usernames (user_id, connection_id, pg_username)
                    SELECT user_id, connection_id, CASE kind WHEN 'UNSET' THEN user_name ELSE value END
                    FROM effective_identities
                    WHERE connection_id = NEW.id AND kind IN ('UNSET', 'POSTGRES_USERNAME');
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER connections_effective_usernames_insert AFTER INSERT ON connections
            FOR EACH ROW EXECUTE FUNCTION connections_effective_usernames()
            """,
            // Lifecycle: a connection is born REGISTERED; its state changes
            // only together with a recorded transition from the state it was
            // in; only an INACTIVE connection may be deleted; history is
            // never rewritten. Refusals use SQLSTATE SW001 and a message
            // meant to be shown as it is.
            """
            CREATE FUNCTION connections_start_registered() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                IF NEW.state <> 'REGISTERED' OR NEW.revision <> 1 THEN
                    RAISE EXCEPTION 'a new connection starts REGISTERED at revision 1' USING ERRCODE = 'SW001';
                END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER connections_start_registered BEFORE INSERT ON connections
            FOR EACH ROW EXECUTE FUNCTION connections_start_registered()
            """,
            """
            CREATE FUNCTION connections_state_change_recorded() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                IF NEW.state IS DISTINCT FROM (
                    SELECT to_state FROM connection_transitions
                    WHERE connection_id = NEW.id ORDER BY id DESC LIMIT 1)
                THEN
                    RAISE EXCEPTION 'a connection''s state changes only with a recorded transition'
                        USING ERRCODE = 'SW001';
                END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER connections_state_change_recorded BEFORE UPDATE OF state ON connections
            FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM OLD.state)
            EXECUTE FUNCTION connections_state_change_recorded()
            """,
            // Locks the connection's row, so that of two transactions
            // recording a transition from the same state, the second waits
            // and then sees the state the first left.
            """
            CREATE FUNCTION connection_transitions_from_current() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            DECLARE
                current_state text;
            BEGIN
                SELECT state INTO current_state FROM connections WHERE id = NEW.connection_id FOR NO KEY UPDATE;
                IF NEW.from_state IS DISTINCT FROM current_state
                    AND NOT (NEW.from_state IS NULL AND NOT EXISTS (
                        SELECT 1 FROM connection_transitions WHERE connection_id = NEW.connection_id))
                THEN
                    RAISE EXCEPTION 'a transition starts from the connection''s current state'
                        USING ERRCODE = 'SW001';
                END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER connection_transitions_from_current BEFORE INSERT ON connection_transitions
            FOR EACH ROW EXECUTE FUNCTION connection_transitions_from_current()
            """,
            """
            CREATE FUNCTION connection_transitions_immutable() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    -- The history goes only with its connection (ON DELETE CASCADE).
                    IF NOT EXISTS (SELECT 1 FROM connections WHERE id = OLD.connection_id) THEN
                        RETURN OLD;
                    END IF;
                END IF;
                RAISE EXCEPTION 'lifecycle history cannot be changed' USING ERRCODE = 'SW001';
            END
            $$
            """,
            """
            CREATE TRIGGER connection_transitions_immutable BEFORE UPDATE OR DELETE ON connection_transitions
            FOR EACH ROW EXECUTE FUNCTION connection_transitions_immutable()
            """,
            """
            CREATE FUNCTION connections_delete_only_inactive() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                IF OLD.state <> 'INACTIVE' THEN
                    RAISE EXCEPTION 'only an INACTIVE connection can be deleted' USING ERRCODE = 'SW001';
                END IF;
                RETURN OLD;
            END
            $$
            """,
            """
            CREATE TRIGGER connections_delete_only_inactive BEFORE DELETE ON connections
            FOR EACH ROW EXECUTE FUNCTION connections_delete_only_inactive()
            """,
            // The state database is the one ETL jobs cannot drop: never governed.
            """
            CREATE FUNCTION governed_databases_not_state_database() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                IF TG_TABLE_NAME = 'governed_databases' THEN
                    IF NEW.name = (SELECT state_database FROM connections WHERE id = NEW.connection_id) THEN
                        RAISE EXCEPTION 'the state database cannot also be a governed database'
                            USING ERRCODE = 'SW002';
                    END IF;
                ELSIF EXISTS (SELECT 1 FROM governed_databases
                              WHERE connection_id = NEW.id AND name = NEW.state_database) THEN
                    RAISE EXCEPTION 'the state database cannot also be a governed database'
                        USING ERRCODE = 'SW002';
                END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER governed_databases_not_state_database BEFORE INSERT OR UPDATE ON governed_databases
            FOR EACH ROW EXECUTE FUNCTION governed_databases_not_state_database()
            """,
            """
            CREATE TRIGGER connections_state_database_not_governed BEFORE UPDATE OF state_database ON connections
            FOR EACH ROW EXECUTE FUNCTION governed_databases_not_state_database()
            """,
            """
            CREATE TABLE audit_events (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at bigint NOT NULL,
                uid bigint NOT NULL,
                user_name text,
                method text NOT NULL,
                target text,
                connection_key text,
                status_code integer NOT NULL,
                message text NOT NULL,
                CONSTRAINT audit_uid CHECK (uid BETWEEN 0 AND 4294967295),
                CONSTRAINT audit_method_present CHECK (length(method) > 0)
            )
            """,
            "CREATE INDEX audit_events_by_time ON audit_events (at, id)",
            "CREATE INDEX audit_events_by_uid ON audit_events (uid, id)",
            "CREATE INDEX audit_events_by_connection ON audit_events (connection_key, id)",
            "CREATE INDEX audit_events_by_method ON audit_events (method, id)",
            """
            CREATE FUNCTION audit_events_append_only() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'SW001';
            END
            $$
            """,
            """
            CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
            """,
            // TRUNCATE skips row triggers: refused on its own.
            """
            CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
            """,
            """
            CREATE TRIGGER connection_transitions_no_truncate BEFORE TRUNCATE ON connection_transitions
            FOR EACH STATEMENT EXECUTE FUNCTION connection_transitions_immutable()
            """,
        ])
}

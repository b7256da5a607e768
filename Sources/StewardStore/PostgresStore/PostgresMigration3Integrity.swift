import StewardModel

extension PostgresMigration {

    /// Shared-mode integrity (docs/shared-mode.md, "What a registry
    /// database writer can and cannot do"):
    /// - a recorded transition must be one of the lifecycle's (from, to)
    ///   pairs, not only start from the current state, so a daemon's bug or
    ///   a stray SQL write cannot move REGISTERED straight to ACTIVE;
    /// - the database, not the daemon, stamps each audit event's time
    ///   (a value the writer supplies is overwritten);
    /// - permission rows get a `mac` column: HMAC under a key derived from
    ///   the registry key (``GrantAuthenticator``). Existing rows get theirs
    ///   in Swift right after these statements (``PostgresRegistryStore``'s
    ///   schema step), in the same transaction. A row without a valid MAC
    ///   grants nothing.
    package static let v3Integrity = PostgresMigration(
        version: 3, summary: "legal transition pairs; database audit times; permission MACs",
        statements: [
            """
            CREATE OR REPLACE FUNCTION connection_transitions_from_current() RETURNS trigger
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
                IF NEW.from_state IS NULL THEN
                    IF NEW.to_state <> 'REGISTERED' THEN
                        RAISE EXCEPTION 'a connection''s first transition is to REGISTERED' USING ERRCODE = 'SW001';
                    END IF;
                ELSIF NOT (NEW.from_state || '>' || NEW.to_state) = ANY (ARRAY[\(FrozenLifecycle.pairList)]) THEN
                    RAISE EXCEPTION 'the connection lifecycle has no transition from % to %',
                        NEW.from_state, NEW.to_state USING ERRCODE = 'SW001';
                END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            ALTER TABLE audit_events
                ALTER COLUMN at SET DEFAULT (floor(extract(epoch FROM clock_timestamp()) * 1000000))::bigint
            """,
            // Overrides whatever the writer supplied: an event's time is the
            // registry's clock, not a daemon's.
            """
            CREATE FUNCTION audit_events_database_time() RETURNS trigger
            LANGUAGE plpgsql SET search_path = steward_registry, pg_temp AS $$
            BEGIN
                NEW.at := (floor(extract(epoch FROM clock_timestamp()) * 1000000))::bigint;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER audit_events_database_time BEFORE INSERT ON audit_events
            FOR EACH ROW EXECUTE FUNCTION audit_events_database_time()
            """,
            "ALTER TABLE user_permissions ADD COLUMN mac bytea",
        ])
}

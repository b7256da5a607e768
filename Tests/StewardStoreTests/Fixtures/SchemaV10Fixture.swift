import StewardStore

/// A registry store exactly as schema version 10 left it: ``SchemaV9Fixture``
/// upgraded by migration 10 (`data_source_schemas`, with one digest), plus
/// a third column of `warehouse.sales.public.orders` whose name JSON must
/// escape (migration 11 turns the column rows into lists); frozen as its
/// SQL dump (`sqlite3 registry.sqlite3 .dump`, plus its `user_version`).
///
/// Frozen on purpose, like the older fixtures: never regenerate it. Its
/// secrets are sealed under ``key``, the version 1 fixture's key.
enum SchemaV10Fixture {
    static let version = 10

    static let key = SchemaV1Fixture.key

    static let sql = #"""
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta (
    name TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO meta VALUES('key_check',X'837a74c6f1189c6cf195fbfa0638d0e89889c2c2dc050a7c5f5b789c5f82fcdd2f8d049f97b059aad63df6880db133274db1ffcc0479');
INSERT INTO meta VALUES('password_binding',X'02');
CREATE TABLE connections (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    display_name TEXT NOT NULL,
    deployment_type TEXT NOT NULL,
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    state_database TEXT NOT NULL,
    username TEXT NOT NULL,
    password_sealed BLOB NOT NULL,
    ssl_mode TEXT NOT NULL,
    ca_certificate TEXT,
    state TEXT NOT NULL,
    revision INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by INTEGER NOT NULL, settings_revision INTEGER NOT NULL DEFAULT 1
    CONSTRAINT connection_settings_revision CHECK (settings_revision BETWEEN 1 AND revision), provision_missing_roles INTEGER NOT NULL DEFAULT 0
    CONSTRAINT connection_provision_missing_roles CHECK (provision_missing_roles IN (0, 1)),
    CONSTRAINT connection_key_unique UNIQUE (key),
    CONSTRAINT connection_key_format
        CHECK (length(key) BETWEEN 1 AND 64 AND key NOT GLOB '*[^A-Za-z0-9_-]*'),
    CONSTRAINT connection_display_name_present CHECK (length(display_name) > 0),
    CONSTRAINT connection_deployment_type CHECK (deployment_type IN ('NEON', 'SELF_MANAGED')),
    CONSTRAINT connection_host_present CHECK (length(host) > 0),
    CONSTRAINT connection_port_range CHECK (port BETWEEN 1 AND 65535),
    CONSTRAINT connection_state_database_present CHECK (length(state_database) > 0),
    CONSTRAINT connection_username_present CHECK (length(username) > 0),
    CONSTRAINT connection_password_sealed CHECK (length(password_sealed) >= 28),
    CONSTRAINT connection_ssl_mode
        CHECK (ssl_mode IN ('disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full')),
    CONSTRAINT connection_neon_verifies_tls
        CHECK (deployment_type <> 'NEON' OR ssl_mode = 'verify-full'),
    CONSTRAINT connection_state CHECK (state IN
        ('REGISTERED', 'VALIDATED', 'VALIDATION_FAILED', 'ACTIVE', 'UNHEALTHY', 'INACTIVE')),
    CONSTRAINT connection_revision_positive CHECK (revision >= 1),
    CONSTRAINT connection_created_by_uid CHECK (created_by BETWEEN 0 AND 4294967295)
) STRICT;
INSERT INTO connections VALUES(1,'warehouse','WAREHOUSE','SELF_MANAGED','warehouse.db.example',5432,'steward_state','steward_role',X'adfe0af640a2c84b78c8ef8f9bb1147e51bd1d6a15ad95e496b8e0c36e23b87cb1b6560661d9659a13ec62d172a4','verify-ca',replace('-----BEGIN CERTIFICATE-----\nMIIBfixture\n-----END CERTIFICATE-----\n','\n',char(10)),'ACTIVE',3,1735689600000001,1735689602000000,1000,3,0);
INSERT INTO connections VALUES(2,'neon-prod','NEON-PROD','NEON','neon-prod.db.example',5432,'steward_state','steward_role',X'd56692034806fa9eb3378373031d0d892c162d7a7f3b45fb521af05f8c1e681d6f6bcc94d09b6c2dd7fcfc29ded4','verify-full',NULL,'REGISTERED',1,1735689600000002,1735689600000002,1000,1,0);
INSERT INTO connections VALUES(3,'retired','RETIRED','SELF_MANAGED','retired.db.example',5432,'steward_state','steward_role',X'bc98b79a5a7858c08ae105c523099b8b728838990b357a20a664c18e94a6334cac7a27050f87f68e6c1b914560f8','prefer',NULL,'INACTIVE',4,1735689600000003,1735689603000000,1000,4,0);
CREATE TABLE governed_databases (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (connection_id, position),
    CONSTRAINT governed_database_unique UNIQUE (connection_id, name),
    CONSTRAINT governed_database_name_present CHECK (length(name) > 0)
) STRICT, WITHOUT ROWID;
INSERT INTO governed_databases VALUES(1,1,'sales');
INSERT INTO governed_databases VALUES(1,2,'hr');
INSERT INTO governed_databases VALUES(2,1,'app');
INSERT INTO governed_databases VALUES(3,1,'legacy');
CREATE TABLE connection_transitions (
    id INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor_uid INTEGER NOT NULL,
    at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    CONSTRAINT transition_from_state CHECK (from_state IS NULL OR from_state IN
        ('REGISTERED', 'VALIDATED', 'VALIDATION_FAILED', 'ACTIVE', 'UNHEALTHY', 'INACTIVE')),
    CONSTRAINT transition_to_state CHECK (to_state IN
        ('REGISTERED', 'VALIDATED', 'VALIDATION_FAILED', 'ACTIVE', 'UNHEALTHY', 'INACTIVE')),
    CONSTRAINT transition_actor_uid CHECK (actor_uid BETWEEN 0 AND 4294967295)
) STRICT;
INSERT INTO connection_transitions VALUES(1,1,NULL,'REGISTERED',1000,1735689600000001,'registered');
INSERT INTO connection_transitions VALUES(2,1,'REGISTERED','VALIDATED',1000,1735689601000000,'step 1');
INSERT INTO connection_transitions VALUES(3,1,'VALIDATED','ACTIVE',1000,1735689602000000,'step 2');
INSERT INTO connection_transitions VALUES(4,2,NULL,'REGISTERED',1000,1735689600000002,'registered');
INSERT INTO connection_transitions VALUES(5,3,NULL,'REGISTERED',1000,1735689600000003,'registered');
INSERT INTO connection_transitions VALUES(6,3,'REGISTERED','VALIDATED',1000,1735689601000000,'step 1');
INSERT INTO connection_transitions VALUES(7,3,'VALIDATED','ACTIVE',1000,1735689602000000,'step 2');
INSERT INTO connection_transitions VALUES(8,3,'ACTIVE','INACTIVE',1000,1735689603000000,'step 3');
CREATE TABLE validation_reports (
    id INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    connection_revision INTEGER NOT NULL,
    at INTEGER NOT NULL,
    outcome TEXT NOT NULL, server_version TEXT,
    CONSTRAINT validation_outcome CHECK (outcome IN ('PASSED', 'WARNING', 'FAILED'))
) STRICT;
INSERT INTO validation_reports VALUES(1,1,1,1735689600500000,'WARNING','17.2 (Debian 17.2-1.pgdg120+1)');
CREATE TABLE validation_checks (
    report_id INTEGER NOT NULL REFERENCES validation_reports (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    failing_object_count INTEGER NOT NULL,
    remediation_sql TEXT,
    PRIMARY KEY (report_id, position),
    CONSTRAINT check_status CHECK (status IN ('PASSED', 'FAILED', 'WARNING', 'SKIPPED')),
    CONSTRAINT check_failing_object_count CHECK (failing_object_count >= 0)
) STRICT, WITHOUT ROWID;
INSERT INTO validation_checks VALUES(1,1,'reachable','PASSED','server answered',0,NULL);
INSERT INTO validation_checks VALUES(1,2,'table privileges','WARNING','3 tables lack privileges',3,'GRANT SELECT ON "sales"."orders" TO "steward_role";');
CREATE TABLE validation_failing_objects (
    report_id INTEGER NOT NULL,
    check_position INTEGER NOT NULL,
    position INTEGER NOT NULL,
    object TEXT NOT NULL,
    PRIMARY KEY (report_id, check_position, position),
    FOREIGN KEY (report_id, check_position)
        REFERENCES validation_checks (report_id, position) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
INSERT INTO validation_failing_objects VALUES(1,2,1,'sales.public.orders');
INSERT INTO validation_failing_objects VALUES(1,2,2,'sales.public.items');
CREATE TABLE data_sources (
    id INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    database_name TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    table_name TEXT NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL, kind TEXT
    CONSTRAINT data_source_kind CHECK (kind IN ('TABLE', 'PARTITIONED_TABLE', 'VIEW', 'MATERIALIZED_VIEW', 'FOREIGN_TABLE')), governable INTEGER NOT NULL DEFAULT 1
    CONSTRAINT data_source_governable CHECK (governable IN (0, 1)),
    CONSTRAINT data_source_unique UNIQUE (connection_id, database_name, schema_name, table_name),
    CONSTRAINT data_source_state CHECK (state IN ('ENABLED', 'DISABLED'))
) STRICT;
INSERT INTO data_sources VALUES(1,1,'sales','public','orders','warehouse.sales.public.orders','ENABLED',1735689600600000,1735689600600000,NULL,1);
INSERT INTO data_sources VALUES(2,1,'sales','public','old_items','warehouse.sales.public.old_items','DISABLED',1735689600600000,1735689600600000,NULL,1);
CREATE TABLE data_source_columns (
    data_source_id INTEGER NOT NULL REFERENCES data_sources (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    PRIMARY KEY (data_source_id, position),
    CONSTRAINT data_source_column_unique UNIQUE (data_source_id, name),
    CONSTRAINT data_source_column_position CHECK (position >= 1)
) STRICT, WITHOUT ROWID;
INSERT INTO data_source_columns VALUES(1,1,'id','bigint');
INSERT INTO data_source_columns VALUES(1,2,'placed_at','timestamp with time zone');
INSERT INTO data_source_columns VALUES(1,3,'note "quoted" \ é','character varying(20)');
INSERT INTO data_source_columns VALUES(2,1,'id','integer');
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    uid INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CONSTRAINT user_name_unique UNIQUE (name),
    CONSTRAINT user_uid_unique UNIQUE (uid),
    CONSTRAINT user_name_present CHECK (length(name) > 0),
    CONSTRAINT user_uid_range CHECK (uid BETWEEN 0 AND 4294967295)
) STRICT;
INSERT INTO users VALUES(1,'alice',1001,1735689600000000);
INSERT INTO users VALUES(2,'bob',1002,1735689600000000);
INSERT INTO users VALUES(3,'carol',1003,1735689600000000);
INSERT INTO users VALUES(4,'dave',1004,1735689600000000);
CREATE TABLE user_permissions (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permission TEXT NOT NULL, mac BLOB,
    PRIMARY KEY (user_id, permission),
    CONSTRAINT user_permission CHECK (permission IN ('APPLICATION_ADMIN', 'USER_ADMIN'))
) STRICT, WITHOUT ROWID;
INSERT INTO user_permissions VALUES(1,'APPLICATION_ADMIN',X'585b2ea5469c642a96a45cad01163ab1371e96ca72d35fb37ea8e6a1d975569b');
INSERT INTO user_permissions VALUES(2,'USER_ADMIN',X'654cc9a3a462b88b59f0c77e1546a85eb009eed596ea99b29a4e74dae7061edf');
CREATE TABLE identity_mappings (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    connection_id INTEGER REFERENCES connections (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT,
    updated_at INTEGER NOT NULL,
    CONSTRAINT identity_mapping_kind
        CHECK (kind IN ('POSTGRES_USERNAME', 'IAM_PRINCIPAL', 'UNSET', 'NONE')),
    CONSTRAINT identity_mapping_value CHECK (
        (kind IN ('POSTGRES_USERNAME', 'IAM_PRINCIPAL')) = (value IS NOT NULL AND length(value) > 0))
) STRICT;
INSERT INTO identity_mappings VALUES(1,NULL,'POSTGRES_USERNAME','alice_pg',1735689600700000);
INSERT INTO identity_mappings VALUES(2,1,'IAM_PRINCIPAL','arn:aws:iam::123456789012:user/bob',1735689600700000);
INSERT INTO identity_mappings VALUES(2,2,'NONE',NULL,1735689600700000);
INSERT INTO identity_mappings VALUES(3,1,'POSTGRES_USERNAME','carol_wh',1735689600800000);
INSERT INTO identity_mappings VALUES(3,2,'UNSET',NULL,1735689600800000);
INSERT INTO identity_mappings VALUES(4,NULL,'UNSET',NULL,1735689600800000);
INSERT INTO identity_mappings VALUES(4,3,'POSTGRES_USERNAME','dave_old',1735689600800000);
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    user_name TEXT,
    method TEXT NOT NULL,
    target TEXT,
    connection_key TEXT,
    status_code INTEGER NOT NULL,
    message TEXT NOT NULL,
    CONSTRAINT audit_uid CHECK (uid BETWEEN 0 AND 4294967295),
    CONSTRAINT audit_method_present CHECK (length(method) > 0)
) STRICT;
INSERT INTO audit_events VALUES(1,1735689600000001,1000,NULL,'/steward.v1.Connections/Register','warehouse','warehouse',0,'');
INSERT INTO audit_events VALUES(2,1735689602000000,1001,'alice','/steward.v1.Users/SetMapping','bob',NULL,7,'permission denied');
INSERT INTO audit_events VALUES(3,1735689603000000,1002,'bob','/steward.v1.Connections/Deactivate','retired','retired',0,'');
CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    os_group TEXT,
    created_at INTEGER NOT NULL,
    CONSTRAINT group_name_unique UNIQUE (name),
    CONSTRAINT group_name_present CHECK (length(name) > 0),
    CONSTRAINT group_os_group_present CHECK (os_group IS NULL OR length(os_group) > 0)
);
CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE TABLE policies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    access TEXT NOT NULL,
    revision INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT policy_name_unique UNIQUE (name),
    CONSTRAINT policy_name_present CHECK (length(name) > 0),
    CONSTRAINT policy_access_known CHECK (access IN ('READ', 'WRITE'))
);
CREATE TABLE policy_selectors (
    policy_id INTEGER NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    data_source_name TEXT,
    connection_id INTEGER REFERENCES connections (id) ON DELETE CASCADE,
    database_name TEXT,
    schema_name TEXT,
    PRIMARY KEY (policy_id, position),
    CONSTRAINT policy_selector_one_kind CHECK ((data_source_name IS NULL) <> (connection_id IS NULL)),
    CONSTRAINT policy_selector_nested CHECK (schema_name IS NULL OR database_name IS NOT NULL)
);
CREATE TABLE policy_subjects (
    policy_id INTEGER NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    group_id INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (policy_id, position),
    CONSTRAINT policy_subject_one_kind CHECK ((user_id IS NULL) <> (group_id IS NULL))
);
CREATE TABLE registry_settings (
    name TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE username_claims (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    connection_id INTEGER REFERENCES connections (id) ON DELETE CASCADE,
    pg_username TEXT NOT NULL
) STRICT;
INSERT INTO username_claims VALUES(1,NULL,'alice_pg');
INSERT INTO username_claims VALUES(2,NULL,'bob');
INSERT INTO username_claims VALUES(3,NULL,'carol');
INSERT INTO username_claims VALUES(4,NULL,'dave');
INSERT INTO username_claims VALUES(3,1,'carol_wh');
INSERT INTO username_claims VALUES(3,2,'carol');
INSERT INTO username_claims VALUES(4,3,'dave_old');
CREATE TABLE data_source_schemas (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    database_name TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    digest TEXT NOT NULL,
    tables INTEGER NOT NULL,
    PRIMARY KEY (connection_id, database_name, schema_name),
    CONSTRAINT data_source_schema_digest CHECK (length(digest) = 64 AND digest NOT GLOB '*[^0-9a-f]*'),
    CONSTRAINT data_source_schema_tables CHECK (tables >= 0)
) STRICT, WITHOUT ROWID;
INSERT INTO data_source_schemas VALUES(1,'sales','public','f16d05ec6b29248d2c61adb1e9263f78e4f7bace1b955014a2d17872cfe4064d',2);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('audit_events',3);
CREATE INDEX connection_transitions_by_connection ON connection_transitions (connection_id, id);
CREATE INDEX validation_reports_by_connection ON validation_reports (connection_id, id);
CREATE INDEX data_sources_by_name ON data_sources (name, id);
CREATE UNIQUE INDEX identity_mappings_scope ON identity_mappings (user_id, ifnull(connection_id, 0));
CREATE INDEX identity_mappings_by_connection ON identity_mappings (connection_id);
CREATE VIEW effective_identities AS
WITH scopes (connection_id) AS (SELECT NULL UNION ALL SELECT id FROM connections)
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
LEFT JOIN identity_mappings AS md ON md.user_id = u.id AND md.connection_id IS NULL;
CREATE TRIGGER connections_start_registered BEFORE INSERT ON connections
WHEN NEW.state <> 'REGISTERED' OR NEW.revision <> 1
BEGIN
    SELECT RAISE(ABORT, 'a new connection starts REGISTERED at revision 1');
END;
CREATE TRIGGER connections_state_change_recorded BEFORE UPDATE OF state ON connections
WHEN NEW.state IS NOT OLD.state AND NEW.state IS NOT (
    SELECT to_state FROM connection_transitions
    WHERE connection_id = NEW.id ORDER BY id DESC LIMIT 1)
BEGIN
    SELECT RAISE(ABORT, 'a connection''s state changes only with a recorded transition');
END;
CREATE TRIGGER connection_transitions_from_current BEFORE INSERT ON connection_transitions
WHEN NEW.from_state IS NOT (SELECT state FROM connections WHERE id = NEW.connection_id)
    AND NOT (NEW.from_state IS NULL AND NOT EXISTS (
        SELECT 1 FROM connection_transitions WHERE connection_id = NEW.connection_id))
BEGIN
    SELECT RAISE(ABORT, 'a transition starts from the connection''s current state');
END;
CREATE TRIGGER connection_transitions_no_update BEFORE UPDATE ON connection_transitions
BEGIN
    SELECT RAISE(ABORT, 'lifecycle history cannot be changed');
END;
CREATE TRIGGER connection_transitions_no_delete BEFORE DELETE ON connection_transitions
WHEN EXISTS (SELECT 1 FROM connections WHERE id = OLD.connection_id)
BEGIN
    SELECT RAISE(ABORT, 'lifecycle history cannot be changed');
END;
CREATE TRIGGER connections_delete_only_inactive BEFORE DELETE ON connections
WHEN OLD.state <> 'INACTIVE'
BEGIN
    SELECT RAISE(ABORT, 'only an INACTIVE connection can be deleted');
END;
CREATE TRIGGER governed_databases_not_state_database BEFORE INSERT ON governed_databases
WHEN NEW.name = (SELECT state_database FROM connections WHERE id = NEW.connection_id)
BEGIN
    SELECT RAISE(ABORT, 'the state database cannot also be a governed database');
END;
CREATE TRIGGER connections_state_database_not_governed
BEFORE UPDATE OF state_database ON connections
WHEN EXISTS (SELECT 1 FROM governed_databases
             WHERE connection_id = NEW.id AND name = NEW.state_database)
BEGIN
    SELECT RAISE(ABORT, 'the state database cannot also be a governed database');
END;
CREATE INDEX audit_events_by_time ON audit_events (at, id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE INDEX audit_events_by_uid ON audit_events (uid, id);
CREATE INDEX audit_events_by_connection ON audit_events (connection_key, id);
CREATE INDEX audit_events_by_method ON audit_events (method, id);
CREATE TRIGGER connection_transitions_legal BEFORE INSERT ON connection_transitions
WHEN (NEW.from_state IS NULL AND NEW.to_state <> 'REGISTERED')
    OR (NEW.from_state IS NOT NULL
        AND NEW.from_state || '>' || NEW.to_state NOT IN ('REGISTERED>REGISTERED', 'REGISTERED>VALIDATED', 'REGISTERED>VALIDATION_FAILED', 'REGISTERED>INACTIVE', 'VALIDATED>REGISTERED', 'VALIDATED>VALIDATED', 'VALIDATED>VALIDATION_FAILED', 'VALIDATED>ACTIVE', 'VALIDATED>INACTIVE', 'VALIDATION_FAILED>REGISTERED', 'VALIDATION_FAILED>VALIDATED', 'VALIDATION_FAILED>VALIDATION_FAILED', 'VALIDATION_FAILED>INACTIVE', 'ACTIVE>REGISTERED', 'ACTIVE>ACTIVE', 'ACTIVE>UNHEALTHY', 'ACTIVE>INACTIVE', 'UNHEALTHY>REGISTERED', 'UNHEALTHY>ACTIVE', 'UNHEALTHY>UNHEALTHY', 'UNHEALTHY>INACTIVE', 'INACTIVE>REGISTERED', 'INACTIVE>INACTIVE'))
BEGIN
    SELECT RAISE(ABORT, 'the connection lifecycle has no such transition');
END;
CREATE INDEX group_members_by_user ON group_members (user_id);
CREATE INDEX policy_selectors_by_connection ON policy_selectors (connection_id);
CREATE INDEX policy_subjects_by_user ON policy_subjects (user_id);
CREATE INDEX policy_subjects_by_group ON policy_subjects (group_id);
CREATE UNIQUE INDEX username_claims_owner ON username_claims (pg_username, ifnull(connection_id, 0));
CREATE UNIQUE INDEX username_claims_scope ON username_claims (user_id, ifnull(connection_id, 0));
CREATE INDEX username_claims_by_connection ON username_claims (connection_id);
CREATE TRIGGER users_username_claims_insert AFTER INSERT ON users
BEGIN
    INSERT INTO username_claims (user_id, connection_id, pg_username) VALUES (NEW.id, NULL, NEW.name);
END;
CREATE TRIGGER users_username_claims_rename AFTER UPDATE OF name ON users
WHEN NEW.name IS NOT OLD.name
BEGIN
    DELETE FROM username_claims WHERE user_id = NEW.id;
    INSERT INTO username_claims (user_id, connection_id, pg_username)
            SELECT u.id, NULL, CASE WHEN m.user_id IS NULL OR m.kind = 'UNSET' THEN u.name ELSE m.value END
            FROM users AS u
            LEFT JOIN identity_mappings AS m ON m.user_id = u.id AND m.connection_id IS NULL
            WHERE u.id = NEW.id AND (m.user_id IS NULL OR m.kind IN ('UNSET', 'POSTGRES_USERNAME'));
        INSERT INTO username_claims (user_id, connection_id, pg_username)
            SELECT m.user_id, m.connection_id, CASE m.kind WHEN 'UNSET' THEN u.name ELSE m.value END
            FROM identity_mappings AS m JOIN users AS u ON u.id = m.user_id
            WHERE m.user_id = NEW.id AND m.connection_id IS NOT NULL
                AND m.kind IN ('UNSET', 'POSTGRES_USERNAME');
END;
CREATE TRIGGER identity_mappings_claims_insert AFTER INSERT ON identity_mappings
BEGIN
    DELETE FROM username_claims WHERE user_id = NEW.user_id AND ifnull(connection_id, 0) = ifnull(NEW.connection_id, 0);
        INSERT INTO username_claims (user_id, connection_id, pg_username)
            SELECT u.id, NEW.connection_id, CASE WHEN m.user_id IS NULL OR m.kind = 'UNSET' THEN u.name ELSE m.value END
            FROM users AS u
            LEFT JOIN identity_mappings AS m ON m.user_id = u.id AND ifnull(m.connection_id, 0) = ifnull(NEW.connection_id, 0)
            WHERE u.id = NEW.user_id AND CASE WHEN m.user_id IS NULL THEN NEW.connection_id IS NULL
                ELSE m.kind IN ('UNSET', 'POSTGRES_USERNAME') END;
END;
CREATE TRIGGER identity_mappings_claims_update AFTER UPDATE ON identity_mappings
BEGIN
    DELETE FROM username_claims WHERE user_id = OLD.user_id AND ifnull(connection_id, 0) = ifnull(OLD.connection_id, 0);
        INSERT INTO username_claims (user_id, connection_id, pg_username)
            SELECT u.id, OLD.connection_id, CASE WHEN m.user_id IS NULL OR m.kind = 'UNSET' THEN u.name ELSE m.value END
            FROM users AS u
            LEFT JOIN identity_mappings AS m ON m.user_id = u.id AND ifnull(m.connection_id, 0) = ifnull(OLD.connection_id, 0)
            WHERE u.id = OLD.user_id AND CASE WHEN m.user_id IS NULL THEN OLD.connection_id IS NULL
                ELSE m.kind IN ('UNSET', 'POSTGRES_USERNAME') END;
    DELETE FROM username_claims WHERE user_id = NEW.user_id AND ifnull(connection_id, 0) = ifnull(NEW.connection_id, 0);
        INSERT INTO username_claims (user_id, connection_id, pg_username)
            SELECT u.id, NEW.connection_id, CASE WHEN m.user_id IS NULL OR m.kind = 'UNSET' THEN u.name ELSE m.value END
            FROM users AS u
            LEFT JOIN identity_mappings AS m ON m.user_id = u.id AND ifnull(m.connection_id, 0) = ifnull(NEW.connection_id, 0)
            WHERE u.id = NEW.user_id AND CASE WHEN m.user_id IS NULL THEN NEW.connection_id IS NULL
                ELSE m.kind IN ('UNSET', 'POSTGRES_USERNAME') END;
END;
CREATE TRIGGER identity_mappings_claims_delete AFTER DELETE ON identity_mappings
BEGIN
    DELETE FROM username_claims WHERE user_id = OLD.user_id AND ifnull(connection_id, 0) = ifnull(OLD.connection_id, 0);
        INSERT INTO username_claims (user_id, connection_id, pg_username)
            SELECT u.id, OLD.connection_id, CASE WHEN m.user_id IS NULL OR m.kind = 'UNSET' THEN u.name ELSE m.value END
            FROM users AS u
            LEFT JOIN identity_mappings AS m ON m.user_id = u.id AND ifnull(m.connection_id, 0) = ifnull(OLD.connection_id, 0)
            WHERE u.id = OLD.user_id AND CASE WHEN m.user_id IS NULL THEN OLD.connection_id IS NULL
                ELSE m.kind IN ('UNSET', 'POSTGRES_USERNAME') END;
END;
CREATE TRIGGER username_claims_no_update BEFORE UPDATE ON username_claims
BEGIN
    SELECT RAISE(ABORT, 'username_claims_follow: username claims follow users and mappings');
END;
CREATE TRIGGER username_claims_defaults_connection AFTER INSERT ON username_claims
WHEN NEW.connection_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM username_claims AS d
    WHERE d.pg_username = NEW.pg_username AND d.connection_id IS NULL AND d.user_id <> NEW.user_id
        AND NOT EXISTS (
            SELECT 1 FROM identity_mappings AS m
            WHERE m.user_id = d.user_id AND m.connection_id = NEW.connection_id))
BEGIN
    SELECT RAISE(ABORT, 'username_claims_defaults: a PostgreSQL username on a connection belongs to one user');
END;
CREATE TRIGGER username_claims_defaults_default AFTER INSERT ON username_claims
WHEN NEW.connection_id IS NULL AND EXISTS (
    SELECT 1 FROM username_claims AS o
    WHERE o.pg_username = NEW.pg_username AND o.connection_id IS NOT NULL AND o.user_id <> NEW.user_id
        AND NOT EXISTS (
            SELECT 1 FROM identity_mappings AS m
            WHERE m.user_id = NEW.user_id AND m.connection_id = o.connection_id))
BEGIN
    SELECT RAISE(ABORT, 'username_claims_defaults: a PostgreSQL username on a connection belongs to one user');
END;
CREATE TRIGGER username_claims_defaults_uncovered AFTER DELETE ON identity_mappings
WHEN OLD.connection_id IS NOT NULL AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
        AND EXISTS (SELECT 1 FROM connections WHERE id = OLD.connection_id)
        AND NOT EXISTS (
            SELECT 1 FROM identity_mappings
            WHERE user_id = OLD.user_id AND connection_id = OLD.connection_id)
        AND EXISTS (
            SELECT 1 FROM username_claims AS d JOIN username_claims AS o
                ON o.pg_username = d.pg_username AND o.connection_id = OLD.connection_id
            WHERE d.user_id = OLD.user_id AND d.connection_id IS NULL AND o.user_id <> OLD.user_id)
BEGIN
    SELECT RAISE(ABORT, 'username_claims_defaults: a PostgreSQL username on a connection belongs to one user');
END;
CREATE TRIGGER username_claims_defaults_moved AFTER UPDATE OF user_id, connection_id ON identity_mappings
WHEN OLD.connection_id IS NOT NULL AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
        AND EXISTS (SELECT 1 FROM connections WHERE id = OLD.connection_id)
        AND NOT EXISTS (
            SELECT 1 FROM identity_mappings
            WHERE user_id = OLD.user_id AND connection_id = OLD.connection_id)
        AND EXISTS (
            SELECT 1 FROM username_claims AS d JOIN username_claims AS o
                ON o.pg_username = d.pg_username AND o.connection_id = OLD.connection_id
            WHERE d.user_id = OLD.user_id AND d.connection_id IS NULL AND o.user_id <> OLD.user_id)
BEGIN
    SELECT RAISE(ABORT, 'username_claims_defaults: a PostgreSQL username on a connection belongs to one user');
END;
COMMIT;
PRAGMA user_version = 10;
"""#
}

extension PostgresMigration {
    /// Groups, subscription policies and the registry-wide identity template:
    /// SQLite's migration of the same version (docs/policies.md).
    package static let v7Governance = PostgresMigration(
        version: 7, summary: "groups, policies, identity template",
        statements: [
            """
            CREATE TABLE groups (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name text COLLATE "C" NOT NULL,
                os_group text,
                created_at bigint NOT NULL,
                CONSTRAINT group_name_unique UNIQUE (name),
                CONSTRAINT group_name_present CHECK (length(name) > 0),
                CONSTRAINT group_os_group_present CHECK (os_group IS NULL OR length(os_group) > 0)
            )
            """,
            """
            CREATE TABLE group_members (
                group_id bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
                user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                PRIMARY KEY (group_id, user_id)
            )
            """,
            "CREATE INDEX group_members_by_user ON group_members (user_id)",
            """
            CREATE TABLE policies (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name text COLLATE "C" NOT NULL,
                access text NOT NULL,
                revision bigint NOT NULL,
                created_at bigint NOT NULL,
                updated_at bigint NOT NULL,
                CONSTRAINT policy_name_unique UNIQUE (name),
                CONSTRAINT policy_name_present CHECK (length(name) > 0),
                CONSTRAINT policy_access_known CHECK (access IN ('READ', 'WRITE'))
            )
            """,
            """
            CREATE TABLE policy_selectors (
                policy_id bigint NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
                position integer NOT NULL,
                data_source_name text COLLATE "C",
                connection_id bigint REFERENCES connections (id) ON DELETE CASCADE,
                database_name text COLLATE "C",
                schema_name text COLLATE "C",
                PRIMARY KEY (policy_id, position),
                CONSTRAINT policy_selector_one_kind CHECK ((data_source_name IS NULL) <> (connection_id IS NULL)),
                CONSTRAINT policy_selector_nested CHECK (schema_name IS NULL OR database_name IS NOT NULL)
            )
            """,
            "CREATE INDEX policy_selectors_by_connection ON policy_selectors (connection_id)",
            """
            CREATE TABLE policy_subjects (
                policy_id bigint NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
                position integer NOT NULL,
                user_id bigint REFERENCES users (id) ON DELETE CASCADE,
                group_id bigint REFERENCES groups (id) ON DELETE CASCADE,
                PRIMARY KEY (policy_id, position),
                CONSTRAINT policy_subject_one_kind CHECK ((user_id IS NULL) <> (group_id IS NULL))
            )
            """,
            "CREATE INDEX policy_subjects_by_user ON policy_subjects (user_id)",
            "CREATE INDEX policy_subjects_by_group ON policy_subjects (group_id)",
            """
            CREATE TABLE registry_settings (
                name text COLLATE "C" NOT NULL PRIMARY KEY,
                value text NOT NULL
            )
            """,
        ])
}

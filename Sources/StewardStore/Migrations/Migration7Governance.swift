extension Migration {
    /// Groups, subscription policies and the registry-wide identity template
    /// (docs/policies.md). Subjects and scopes reference their users, groups
    /// and connections, so deleting one takes it out of every policy.
    package static let v7Governance = Migration(
        version: 7, summary: "groups, policies, identity template",
        sql: """
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
            CREATE INDEX group_members_by_user ON group_members (user_id);

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
            CREATE INDEX policy_selectors_by_connection ON policy_selectors (connection_id);

            CREATE TABLE policy_subjects (
                policy_id INTEGER NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
                group_id INTEGER REFERENCES groups (id) ON DELETE CASCADE,
                PRIMARY KEY (policy_id, position),
                CONSTRAINT policy_subject_one_kind CHECK ((user_id IS NULL) <> (group_id IS NULL))
            );
            CREATE INDEX policy_subjects_by_user ON policy_subjects (user_id);
            CREATE INDEX policy_subjects_by_group ON policy_subjects (group_id);

            CREATE TABLE registry_settings (
                name TEXT NOT NULL PRIMARY KEY,
                value TEXT NOT NULL
            );
            """)
}

extension Migration {
    /// CompleteSetup needs to know whether the latest validation tested the
    /// current settings: `settings_revision` is the revision written by the
    /// last change of settings. Rows from version 1 get their current
    /// revision, the conservative choice (a report older than that is not
    /// trusted for them). Also indexes for the audit filters.
    package static let v2SettingsRevisionAndAuditIndexes = Migration(
        version: 2, summary: "connections.settings_revision; audit indexes",
        sql: """
            ALTER TABLE connections ADD COLUMN settings_revision INTEGER NOT NULL DEFAULT 1
                CONSTRAINT connection_settings_revision CHECK (settings_revision BETWEEN 1 AND revision);
            UPDATE connections SET settings_revision = revision;

            CREATE INDEX audit_events_by_uid ON audit_events (uid, id);
            CREATE INDEX audit_events_by_connection ON audit_events (connection_key, id);
            CREATE INDEX audit_events_by_method ON audit_events (method, id);
            """)
}

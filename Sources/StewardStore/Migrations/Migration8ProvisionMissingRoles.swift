extension Migration {
    /// A connection says whether enforcement creates the subscriber roles
    /// that do not exist (NOLOGIN, recorded as Steward's) instead of only
    /// reporting them (docs/policies.md). Connections stored before never
    /// did, so they keep not doing it.
    package static let v8ProvisionMissingRoles = Migration(
        version: 8, summary: "connections.provision_missing_roles",
        sql: """
            ALTER TABLE connections ADD COLUMN provision_missing_roles INTEGER NOT NULL DEFAULT 0
                CONSTRAINT connection_provision_missing_roles CHECK (provision_missing_roles IN (0, 1));
            """)
}

extension PostgresMigration {
    /// SQLite's migration 8: whether enforcement creates missing subscriber
    /// roles (``Migration/v8ProvisionMissingRoles``).
    package static let v8ProvisionMissingRoles = PostgresMigration(
        version: 8, summary: "connections.provision_missing_roles",
        statements: ["ALTER TABLE connections ADD COLUMN provision_missing_roles boolean NOT NULL DEFAULT false"])
}

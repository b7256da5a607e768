/// One numbered step of the PostgreSQL registry schema (shared mode).
///
/// PostgreSQL's versions are their own sequence, recorded in
/// `steward_registry.schema_migrations`; version 1 is the shape SQLite's
/// schema has at its version 2. As with SQLite, a migration that has
/// shipped is never edited: changes go into a new one.
package struct PostgresMigration: Sendable {
    package let version: Int
    package let summary: String
    /// Schema statements only, one per element (libpq's extended protocol
    /// runs one statement at a time); fixed text, no values. They run with
    /// `search_path` set to the registry's schema.
    package let statements: [String]
}

extension PostgresMigration {
    /// The schema every registry object lives in.
    package static let schemaName = "steward_registry"

    /// Every migration, in order; versions run 1, 2, … without gaps.
    package static let all: [PostgresMigration] = [
        .v1InitialSchema,
        .v2Integrity,
        .v3ReportServerVersion,
        .v4LegalTransitions,
        .v5DataSourceKinds,
        .v6Governance,
        .v7ProvisionMissingRoles,
        .v8SchemaDigests,
    ]

    package static var latestVersion: Int { all.last?.version ?? 0 }

    /// `pg_advisory_xact_lock(advisoryLockClass, …)` keys. Advisory locks are
    /// per database, so these serialise the daemons sharing one registry.
    package static let advisoryLockClass: Int32 = 0x5354_5744  // "STWD"
    /// Held while a daemon checks and upgrades the schema at start.
    package static let migrationLock: Int32 = 1
    // Key 2 is the usernames lock, taken by the schema's own triggers
    // (written there literally, since a shipped migration never changes).
    /// Takes the usernames lock; Swift-side writes that will reach those
    /// triggers take it first, so that locks are always taken in one order.
    package static let takeUsernamesLock = "SELECT pg_advisory_xact_lock(1398036292, 2)"
}

/// One numbered step of the PostgreSQL registry schema (shared mode).
///
/// A version names one registry schema on both backends: PostgreSQL's
/// version n has the tables, columns and rules SQLite's version n has, so
/// every migration is added to both chains under one number. Shared mode
/// began at the shape of version 2, so this chain starts there. The versions
/// are recorded in `steward_registry.schema_migrations`; registries made
/// before the chains shared their numbers are renumbered once when opened
/// (``PostgresMigration/sharedNumbering``). As with SQLite, a migration that
/// has shipped is never edited: changes go into a new one.
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

    /// Every migration, in order; versions run 2, 3, … without gaps.
    package static let all: [PostgresMigration] = [
        .v2InitialSchema,
        .v3Integrity,
        .v4ReportServerVersion,
        .v5LegalTransitions,
        .v6DataSourceKinds,
        .v7Governance,
        .v8ProvisionMissingRoles,
        .v9UsernameClaims,
        .v10SchemaDigests,
        .v11ColumnLists,
    ]

    /// The `meta` row saying that `schema_migrations` holds shared version
    /// numbers. Registries made before it recorded their own sequence, one
    /// lower (1 for the shape of version 2); the first daemon that opens one
    /// adds one to every recorded version and writes this row, in the
    /// upgrade's transaction. A daemon from before the renumbering then
    /// reads a version one higher than it knows and refuses the registry
    /// rather than misreading it.
    package static let sharedNumbering = (name: "schema_numbering", value: Array("shared".utf8))

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

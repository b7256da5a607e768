/// Which SQLite and PostgreSQL schema versions hold the same registry.
///
/// The chains were numbered apart: shared mode began at the shape SQLite's
/// schema had at version 2, as PostgreSQL's version 1, so SQLite's `n` is
/// PostgreSQL's `n - 1`. Shipped versions are written into users' stores
/// and keep their numbers, so the offset cannot be renumbered away; this
/// table is the one statement of it. A migration added to one chain is
/// added to the other in the same change, with its pair here (a test holds
/// the table to both chains' ends).
package enum SchemaVersionMap {
    /// Pairs at which both stores have the same tables, columns and rules
    /// (the mechanisms may differ: PostgreSQL stamps audit times in a
    /// trigger, SQLite in the store).
    package static let equivalent: [(sqlite: Int, postgres: Int)] = [
        (sqlite: 2, postgres: 1),  // initial shared shape: settings_revision, audit indexes
        (sqlite: 3, postgres: 2),  // permission MACs (PostgreSQL also freezes the legal transition pairs)
        (sqlite: 4, postgres: 3),  // validation_reports.server_version
        (sqlite: 5, postgres: 4),  // legal transition pairs in SQLite too (PostgreSQL had them at 2)
        (sqlite: 6, postgres: 5),  // data_sources.kind, data_sources.governable
        (sqlite: 7, postgres: 6),  // groups, policies, identity template
        (sqlite: 8, postgres: 7),  // connections.provision_missing_roles
        (sqlite: 9, postgres: 8),  // data_source_schemas (sync's schema digests)
    ]

    /// nil for SQLite's version 1, which shared mode never had.
    package static func postgresVersion(forSQLite version: Int) -> Int? {
        equivalent.first { $0.sqlite == version }?.postgres
    }

    package static func sqliteVersion(forPostgres version: Int) -> Int? {
        equivalent.first { $0.postgres == version }?.sqlite
    }
}

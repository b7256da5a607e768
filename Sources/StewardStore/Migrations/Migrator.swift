/// Brings a database to the latest schema, one migration per transaction.
package enum Migrator {
    /// Applies every migration above the database's `user_version`, up to
    /// `target`, each in its own IMMEDIATE transaction together with the new
    /// `user_version` and a foreign key check, so a crash leaves the store
    /// at one version or the next, never between. `initialize` runs inside
    /// the transaction of migration 1 (a fresh store), for rows that must
    /// exist from the start. `afterStep` runs inside each migration's
    /// transaction, after its SQL, for row changes that need the key (which
    /// fixed SQL cannot hold).
    package static func migrate(
        _ database: SQLiteDatabase,
        to target: Int = Migration.latestVersion,
        migrations: [Migration] = Migration.all,
        initialize: (SQLiteDatabase) throws -> Void = { _ in },
        afterStep: (_ version: Int, SQLiteDatabase) throws -> Void = { _, _ in }
    ) throws {
        let current = try database.userVersion()
        for migration in migrations where migration.version > current && migration.version <= target {
            try database.transaction(.immediate) {
                try database.execute(script: migration.sql)
                if migration.version == 1 { try initialize(database) }
                try afterStep(migration.version, database)
                // PRAGMA takes no parameters; the version is a constant of this code.
                try database.execute(script: "PRAGMA user_version = \(migration.version)")
                let dangling = try database.query("PRAGMA foreign_key_check") { $0.text(0) }
                guard dangling.isEmpty else {
                    throw StoreError(
                        .corrupt,
                        "the registry store cannot be upgraded to schema version \(migration.version): "
                            + "rows in \(Set(dangling).sorted().joined(separator: ", ")) refer to rows that do not exist")
                }
            }
        }
    }
}

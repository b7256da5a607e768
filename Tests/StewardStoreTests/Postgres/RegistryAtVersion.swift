import Foundation
import PostgresTestSupport
import StewardPostgres
import StewardStore

extension PostgresConnection {
    /// Makes the registry schema as `version` left it, recorded in the shared
    /// numbering and keyed to `key`, for an upgrade test to fill and open.
    func createRegistry(atVersion version: Int, key: StoreKey) throws {
        try run("SET search_path = steward_registry")
        for migration in PostgresMigration.all where migration.version <= version {
            for statement in migration.statements { try run(statement) }
            try run("INSERT INTO schema_migrations (version, summary) VALUES ($1::int, 'v')", [String(migration.version)])
        }
        let check = try SecretCipher(key: key).makeKeyCheck().map { String(format: "%02x", $0) }.joined()
        try run("INSERT INTO meta (name, value) VALUES ('key_check', decode($1, 'hex'))", [check])
        // Recorded in the shared numbering (nothing to renumber).
        try run("INSERT INTO meta (name, value) VALUES ('schema_numbering', 'shared'::bytea)")
    }
}

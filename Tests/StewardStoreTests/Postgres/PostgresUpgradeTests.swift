import Foundation
import PostgresTestSupport
import StewardPostgres
import StewardStore
import Testing

/// A registry that the first shared schema left (permission rows without
/// MACs, recorded as version 1 in the numbering from before the backends
/// shared their versions) is renumbered to 2 and upgraded on the first
/// daemon that opens it with the key, and keeps its grants.
@Suite("Shared registry: upgrade from the first shared schema", .timeLimit(.minutes(2)))
struct PostgresUpgradeTests {
    @Test("Version 1's grants get MACs in the upgrade and still grant; the upgrade adds the transition pairs",
          arguments: TestPostgres.supported)
    func upgradeKeepsGrants(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let connection = try PostgresConnection.open(try database.parameters)
        do {
            defer { connection.close() }
            try connection.run("SET search_path = steward_registry")
            for statement in PostgresMigration.v2InitialSchema.statements { try connection.run(statement) }
            try connection.run("INSERT INTO schema_migrations (version, summary) VALUES (1, 'v1')")
            let check = try SecretCipher(key: key).makeKeyCheck().map { String(format: "%02x", $0) }.joined()
            try connection.run("INSERT INTO meta (name, value) VALUES ('key_check', decode($1, 'hex'))", [check])
            try connection.run("INSERT INTO users (name, uid, created_at) VALUES ('alice', 1001, 0), ('bob', 1002, 0)")
            try connection.run(
                """
                INSERT INTO user_permissions (user_id, permission)
                SELECT id, 'APPLICATION_ADMIN' FROM users WHERE name = 'alice'
                UNION ALL SELECT id, 'USER_ADMIN' FROM users WHERE name = 'bob'
                """)
        }

        let store = try database.openStore(key: key)
        defer { store.close() }
        #expect(try database.admin("SELECT max(version) AS v FROM steward_registry.schema_migrations").rows[0].int("v")
            == PostgresMigration.latestVersion)
        #expect(try store.user(uid: 1001)?.permissions == [.applicationAdmin])
        #expect(try store.user(name: "bob").permissions == [.userAdmin])
        #expect(try database.admin("SELECT count(*)::int AS n FROM steward_registry.user_permissions WHERE mac IS NULL")
            .rows[0].int("n") == 0)
        // No integrity alarm: every upgraded row verifies.
        #expect(try store.listAuditEvents(AuditFilter(), page: PageRequest()).items.isEmpty)
    }
}

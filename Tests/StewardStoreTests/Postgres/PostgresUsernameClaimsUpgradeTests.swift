import Foundation
import PostgresTestSupport
import StewardPostgres
import StewardStore
import Testing

/// PostgreSQL migration 9 replaces `effective_usernames` with
/// `username_claims`: a registry at version 8, its usernames made by
/// version 8's own triggers, keeps every user's username in every scope.
@Suite("Shared registry: upgrade to username claims (version 9)", .timeLimit(.minutes(2)))
struct PostgresUsernameClaimsUpgradeTests {
    @Test("Version 8's effective usernames are exactly what version 9 derives", arguments: TestPostgres.supported)
    func carriedOverExactly(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let connection = try PostgresConnection.open(try database.parameters)
        var before: Set<String> = []
        do {
            defer { connection.close() }
            try connection.createRegistry(atVersion: 8, key: key)
            for name in ["warehouse", "neon", "retired"] {
                try connection.run(
                    """
                    INSERT INTO connections (key, display_name, deployment_type, host, port, state_database, username,
                        password_sealed, ssl_mode, state, revision, settings_revision, created_at, updated_at, created_by)
                    VALUES ($1, $1, 'SELF_MANAGED', 'h', 5432, 'steward_state', 'steward', decode(repeat('00', 32), 'hex'),
                        'prefer', 'REGISTERED', 1, 1, 0, 0, 0)
                    """, [name])
            }
            try connection.run(
                "INSERT INTO users (name, uid, created_at) VALUES ('alice', 1001, 0), ('bob', 1002, 0), ('carol', 1003, 0), ('dave', 1004, 0)")
            for (user, connectionKey, kind, value) in [
                ("alice", nil, "POSTGRES_USERNAME", "alice_pg"), ("bob", "warehouse", "IAM_PRINCIPAL", "arn:aws:iam::1:user/bob"),
                ("bob", "neon", "NONE", nil), ("carol", "warehouse", "POSTGRES_USERNAME", "carol_wh"),
                ("carol", "neon", "UNSET", nil), ("dave", nil, "UNSET", nil), ("dave", "retired", "POSTGRES_USERNAME", "dave_old"),
            ] as [(String, String?, String, String?)] {
                try connection.run(
                    """
                    INSERT INTO identity_mappings (user_id, connection_id, kind, value, updated_at)
                    SELECT u.id, (SELECT id FROM connections WHERE key = $2), $3, $4, 0 FROM users AS u WHERE u.name = $1
                    """, [user, connectionKey, kind, value])
            }
            let rows = try connection.run(
                """
                SELECT u.name || '@' || coalesce(c.key, '-') || '=' || e.pg_username AS claim FROM effective_usernames AS e
                JOIN users AS u ON u.id = e.user_id LEFT JOIN connections AS c ON c.id = e.connection_id
                """)
            before = Set(try rows.rows.map { try $0.text("claim") ?? "" })
        }
        #expect(before.count == 14)

        let store = try database.openStore(key: key)
        defer { store.close() }
        var after = Set(try database.admin(
            """
            SELECT u.name || '@-=' || c.pg_username AS claim FROM steward_registry.username_claims AS c
            JOIN steward_registry.users AS u ON u.id = c.user_id WHERE c.connection_id IS NULL
            """).rows.map { try $0.text("claim") ?? "" })
        for key in ["warehouse", "neon", "retired"] {
            for identity in try store.effectiveIdentities(connectionKey: key, userName: nil) {
                if let username = identity.postgresUsername { after.insert("\(identity.userName)@\(key)=\(username)") }
            }
        }
        #expect(after == before)
        #expect(try database.admin("SELECT count(*)::int AS n FROM steward_registry.username_claims").rows[0].int("n") == 7)
        expectStoreError(.alreadyExists, "PostgreSQL username \"dave_old\" on connection \"retired\" already belongs to user \"dave\"") {
            _ = try store.createUser(name: "dave_old", uid: 1999, permissions: [])
        }
    }
}

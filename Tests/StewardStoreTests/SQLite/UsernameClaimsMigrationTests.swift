import Foundation
import StewardStore
import Testing

/// Migration 9 replaces `effective_usernames` (a row per user per connection)
/// with `username_claims` (a row per user and per connection mapping that
/// names a username). From the frozen version 8 fixture, every username a
/// user had in every scope is the one it has after the upgrade, and the
/// ownership rule still refuses what version 8 refused.
@Suite("Schema migrations: username claims (version 9)")
struct UsernameClaimsMigrationTests {
    struct Claim: Hashable, CustomStringConvertible {
        var user: String
        var connection: String?
        var username: String
        var description: String { "\(user)@\(connection ?? "default")=\(username)" }
    }

    func rows(_ store: SQLiteRegistryStore, _ sql: String) throws -> Set<Claim> {
        Set(try store.withDatabase { database in
            try database.query(sql) { row in Claim(user: row.text(0), connection: row.optionalText(1), username: row.text(2)) }
        })
    }

    @Test("The version 8 fixture's effective usernames are exactly what version 9 derives, and the rule still holds")
    func carriedOverExactly() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("registry.sqlite3")
        try materialize(fixture: SchemaV8Fixture.sql, at: path)
        let before: Set<Claim> = try {
            let database = try SQLiteDatabase(path: path)
            defer { database.close() }
            return Set(try database.query(
                """
                SELECT u.name, c.key, e.pg_username FROM effective_usernames AS e
                JOIN users AS u ON u.id = e.user_id LEFT JOIN connections AS c ON c.id = e.connection_id
                """
            ) { row in Claim(user: row.text(0), connection: row.optionalText(1), username: row.text(2)) })
        }()
        #expect(before.count == 14, "4 users × (3 connections + the default scope), less bob's two without a username")

        let store = try SQLiteRegistryStore(path: path, key: SchemaV8Fixture.key)
        defer { store.close() }
        #expect(try store.withDatabase { try $0.userVersion() } == Migration.latestVersion)
        #expect(try store.listMappings(MappingFilter()).count == 7, "every mapping is kept")

        // Every scope's usernames, as version 9 derives them.
        var after = try rows(
            store,
            """
            SELECT u.name, NULL, c.pg_username FROM username_claims AS c JOIN users AS u ON u.id = c.user_id
            WHERE c.connection_id IS NULL
            """)
        for key in ["warehouse", "neon-prod", "retired"] {
            for identity in try store.effectiveIdentities(connectionKey: key, userName: nil) {
                if let username = identity.postgresUsername {
                    after.insert(Claim(user: identity.userName, connection: key, username: username))
                }
            }
        }
        #expect(after == before)

        // Stored: one claim per user, one per connection mapping naming a username.
        let claims = try rows(
            store,
            """
            SELECT u.name, k.key, c.pg_username FROM username_claims AS c
            JOIN users AS u ON u.id = c.user_id LEFT JOIN connections AS k ON k.id = c.connection_id
            """)
        #expect(claims == [
            Claim(user: "alice", connection: nil, username: "alice_pg"),
            Claim(user: "bob", connection: nil, username: "bob"),
            Claim(user: "carol", connection: nil, username: "carol"),
            Claim(user: "carol", connection: "warehouse", username: "carol_wh"),
            Claim(user: "carol", connection: "neon-prod", username: "carol"),
            Claim(user: "dave", connection: nil, username: "dave"),
            Claim(user: "dave", connection: "retired", username: "dave_old"),
        ])

        // The rule holds on the carried-over claims, naming each owner.
        expectStoreError(.alreadyExists, "PostgreSQL username \"carol_wh\" on connection \"warehouse\" already belongs to user \"carol\"") {
            _ = try store.setMapping(IdentityMapping(userName: "bob", connectionKey: "warehouse", identity: .postgresUsername("carol_wh")))
        }
        expectStoreError(.alreadyExists, "PostgreSQL username \"carol\" on connection \"neon-prod\" already belongs to user \"carol\"") {
            _ = try store.setMapping(IdentityMapping(userName: "bob", connectionKey: "neon-prod", identity: .postgresUsername("carol")))
        }
        expectStoreError(.alreadyExists, "PostgreSQL username \"dave_old\" on connection \"retired\" already belongs to user \"dave\"") {
            _ = try store.createUser(name: "dave_old", uid: 1999, permissions: [])
        }
        expectStoreError(.alreadyExists, "PostgreSQL username \"alice_pg\" is already the default of user \"alice\"") {
            _ = try store.setMapping(IdentityMapping(userName: "dave", connectionKey: nil, identity: .postgresUsername("alice_pg")))
        }
        // A free username is still bob's to take.
        try store.setMapping(IdentityMapping(userName: "bob", connectionKey: "retired", identity: .postgresUsername("bob_r")))
        #expect(try store.effectiveIdentity(userName: "bob", connectionKey: "retired").postgresUsername == "bob_r")
    }

    @Test("Claims grow with users and mappings: registering a connection stores none")
    func linearStorage() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteRegistryStore(path: directory.file("registry.sqlite3"), key: .random())
        defer { store.close() }
        for index in 0..<5 { try Samples.connection(store, "c\(index)") }
        for index in 0..<3 { try store.createUser(name: "u\(index)", uid: UInt32(3_000 + index), permissions: []) }
        try store.setMapping(IdentityMapping(userName: "u0", connectionKey: "c1", identity: .postgresUsername("u0_c1")))
        try store.setMapping(IdentityMapping(userName: "u1", connectionKey: "c2", identity: .none))
        try store.setMapping(IdentityMapping(userName: "u2", connectionKey: nil, identity: .postgresUsername("u2_pg")))
        let counted = try store.withDatabase { database in
            try database.query("SELECT count(*) FROM username_claims") { $0.int64(0) }[0]
        }
        #expect(counted == 3 + 1, "a default per user, and u0's username on c1 (u1's NONE claims nothing)")
        try Samples.connection(store, "c5")
        #expect(try store.withDatabase { try $0.query("SELECT count(*) FROM username_claims") { $0.int64(0) }[0] } == counted)
        #expect(try store.effectiveIdentity(userName: "u2", connectionKey: "c5").postgresUsername == "u2_pg")
    }
}

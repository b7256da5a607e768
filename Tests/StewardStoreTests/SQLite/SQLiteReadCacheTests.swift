import StewardModel
import StewardStore
import Testing

/// The embedded store answers the caller lookup, Connections.Get's and
/// Users.Get's reads from memory until its next write (``RegistryReadCaches``).
@Suite("SQLite store: reads remembered until the next write")
struct SQLiteReadCacheTests {
    @Test("Each of the store's writes is seen by the very next read: grants, revokes, mappings, settings")
    func writesAreSeenAtOnce() throws {
        let test = try SQLiteTestStore()
        let store = test.store
        let created = try Samples.connection(store, "c")
        try store.createUser(name: "alice", uid: 1001, permissions: [])

        #expect(try store.user(uid: 1001)?.permissions == [])
        #expect(try store.userWithMappings(name: "alice").mappings.isEmpty)
        #expect(try store.connectionWithLatestReport(key: "c").connection.revision == created.revision)

        try store.grant(.userAdmin, toUser: "alice")
        #expect(try store.user(uid: 1001)?.permissions == [.userAdmin])
        #expect(try store.userWithMappings(name: "alice").user.permissions == [.userAdmin])
        try store.revoke(.userAdmin, fromUser: "alice")
        #expect(try store.user(uid: 1001)?.permissions == [])

        try store.setMapping(IdentityMapping(userName: "alice", connectionKey: "c", identity: .postgresUsername("alice_pg")))
        #expect(try store.userWithMappings(name: "alice").mappings.map(\.identity) == [.postgresUsername("alice_pg")])

        let updated = try store.updateConnection(
            ConnectionUpdate(key: "c", expectedRevision: created.revision, settings: Samples.settings("c", governed: ["sales"])))
        let read = try store.connectionWithLatestReport(key: "c").connection
        #expect(read.revision == updated.revision)
        #expect(read.settings.governedDatabases == ["sales"])

        try store.createUser(name: "bob", uid: 1002, permissions: [])
        #expect(try store.user(uid: 1002)?.name == "bob")
    }

    @Test("SQL run on the store's own connection counts as a write: a grant deleted there is gone on the next lookup")
    func rawWritesAreSeen() throws {
        let test = try SQLiteTestStore()
        let store = test.store
        try store.createUser(name: "alice", uid: 1001, permissions: [.applicationAdmin])
        #expect(try store.user(uid: 1001)?.permissions == [.applicationAdmin])
        #expect(test.rawError("DELETE FROM user_permissions") == nil)
        #expect(try store.user(uid: 1001)?.permissions == [])
    }

    /// What makes the lookups cheap, and the contract it rests on: only
    /// this store writes its file (the state directory's lock keeps other
    /// daemons out). A change made behind its back is seen once the store
    /// itself next writes.
    @Test("Reads are remembered: a change made behind the store's back is not seen until the store next writes")
    func readsAreRemembered() throws {
        let test = try SQLiteTestStore()
        let store = test.store
        try store.createUser(name: "alice", uid: 1001, permissions: [.applicationAdmin])
        try Samples.connection(store, "c")
        #expect(try store.user(uid: 1001)?.permissions == [.applicationAdmin])
        #expect(try store.connectionWithLatestReport(key: "c").connection.settings.displayName == "c")

        let outside = try SQLiteDatabase(path: test.path, create: false)
        defer { outside.close() }
        _ = try outside.run("DELETE FROM user_permissions")
        _ = try outside.run("UPDATE connections SET display_name = 'renamed'")

        #expect(try store.user(uid: 1001)?.permissions == [.applicationAdmin])
        #expect(try store.connectionWithLatestReport(key: "c").connection.settings.displayName == "c")

        try store.createUser(name: "bob", uid: 1002, permissions: [])
        #expect(try store.user(uid: 1001)?.permissions == [])
        #expect(try store.connectionWithLatestReport(key: "c").connection.settings.displayName == "renamed")
    }
}

import PostgresTestSupport
import StewardPostgres
@testable import StewardStore
import Testing

/// Registries made before the two backends shared their version numbers
/// recorded PostgreSQL's own sequence, one lower. The first daemon that
/// opens one renumbers it once, re-running nothing and keeping every row.
@Suite("Shared registry: renumbering into the shared versions", .timeLimit(.minutes(2)))
struct PostgresRenumberingTests {
    func versions(_ database: PostgresTestDatabase) throws -> [Int] {
        try database.admin("SELECT version FROM steward_registry.schema_migrations ORDER BY version").rows.map { try $0.int("version") }
    }

    func marked(_ database: PostgresTestDatabase) throws -> Bool {
        try database.admin("SELECT count(*)::int AS n FROM steward_registry.meta WHERE name = 'schema_numbering'").rows[0].int("n") == 1
    }

    @Test("A registry recorded in the old numbering at its newest version is renumbered, not upgraded, and keeps its data",
          arguments: TestPostgres.supported)
    func renumbersOnce(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let key = StoreKey.random()
        let store = try database.openStore(key: key)
        try Samples.connection(store, "kept", password: "pw")
        store.close()
        #expect(try versions(database) == Array(2...Migration.latestVersion))
        #expect(try marked(database))

        // What a daemon from before the renumbering left: the same schema,
        // each version recorded one lower, and no marker.
        try database.admin("DELETE FROM steward_registry.meta WHERE name = 'schema_numbering'")
        try database.admin("UPDATE steward_registry.schema_migrations SET version = version - 1")
        try database.admin("UPDATE steward_registry.schema_migrations SET summary = 'old numbering'")
        #expect(try versions(database) == Array(1...(Migration.latestVersion - 1)))

        let reopened = try database.openStore(key: key)
        defer { reopened.close() }
        #expect(try versions(database) == Array(2...Migration.latestVersion))
        #expect(try marked(database))
        // Nothing ran again: every row is the one the old daemon wrote.
        #expect(try database.admin("SELECT count(*)::int AS n FROM steward_registry.schema_migrations WHERE summary <> 'old numbering'")
            .rows[0].int("n") == 0)
        #expect(try reopened.connectionPassword(key: "kept") == Secret("pw"))

        // A second open changes nothing.
        try database.openStore(key: key).close()
        #expect(try versions(database) == Array(2...Migration.latestVersion))
    }

    @Test("The wrong key is refused before the renumbering, which is left undone", arguments: TestPostgres.supported)
    func wrongKeyRenumbersNothing(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        try database.openStore(key: .random()).close()
        try database.admin("DELETE FROM steward_registry.meta WHERE name = 'schema_numbering'")
        try database.admin("UPDATE steward_registry.schema_migrations SET version = version - 1")
        expectStoreError(.keyMismatch) { _ = try database.openStore(key: .random()) }
        #expect(try versions(database) == Array(1...(Migration.latestVersion - 1)))
        #expect(try !marked(database))
    }
}

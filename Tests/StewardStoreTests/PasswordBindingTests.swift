import Foundation
import PostgresTestSupport
import StewardModel
import StewardPostgres
import StewardStore
import Testing

/// Security issue item 2: a stored password is sealed for where it may be
/// sent (``PasswordBinding``), on both backends, and passwords stored before
/// that are resealed once at open.
@Suite("Stored passwords are bound to where they may be sent", .timeLimit(.minutes(2)))
struct PasswordBindingTests {
    static let ca = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n"

    @Test("Host, port, username, sslmode and CA each change the binding; other settings do not")
    func bindingFields() {
        var settings = Samples.settings()
        settings.caCertificate = Self.ca
        let base = PasswordBinding(connectionKey: "warehouse", settings: settings).associatedDataForTesting
        func with(_ change: (inout ConnectionSettings) -> Void) -> ConnectionSettings {
            var copy = settings
            change(&copy)
            return copy
        }
        let changed = [
            with { $0.host = "elsewhere" }, with { $0.port = 6543 }, with { $0.username = "other" },
            with { $0.sslMode = .disable }, with { $0.caCertificate = nil }, with { $0.caCertificate = Self.ca + "\n" },
        ]
        for other in changed {
            #expect(PasswordBinding(connectionKey: "warehouse", settings: other).associatedDataForTesting != base)
        }
        #expect(PasswordBinding(connectionKey: "other", settings: settings).associatedDataForTesting != base)
        var harmless = settings
        harmless.governedDatabases = ["x"]
        harmless.stateDatabase = "elsewhere_state"
        harmless.displayName = "Other name"
        #expect(PasswordBinding(connectionKey: "warehouse", settings: harmless).associatedDataForTesting == base)
    }

    @Test("Every update reseals: kept for new settings, it opens for them and not for the old ones",
          arguments: StoreBackend.all)
    func updateReseals(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let record = try Samples.connection(store, "warehouse", password: "first")
            var moved = record.settings
            moved.host = "elsewhere.example.com"
            let updated = try store.updateConnection(
                ConnectionUpdate(key: "warehouse", expectedRevision: record.revision, settings: moved))
            #expect(try store.connectionPassword(key: "warehouse", for: moved).exposedValue == "first")
            #expect(try store.connectionPassword(key: "warehouse").exposedValue == "first")
            expectStoreError(.failedPrecondition) { _ = try store.connectionPassword(key: "warehouse", for: record.settings) }
            _ = updated
        }
    }

    /// The tampering: what a program with write access to the registry, but
    /// not the daemon's key, can do.
    func expectTamperedRowRefused(_ store: any RegistryStore, tamper: () throws -> Void) throws {
        let record = try Samples.connection(store, "warehouse", password: "first")
        try tamper()
        let tampered = try store.connection(key: "warehouse")
        #expect(tampered.host == "attacker.example.com")
        let error = expectStoreError(.failedPrecondition) { _ = try store.connectionPassword(key: "warehouse", for: tampered.settings) }
        #expect(error?.message.contains("update the connection with its password again") == true)
        // An update that keeps the password does not launder the row ...
        expectStoreError(.failedPrecondition) {
            _ = try store.updateConnection(ConnectionUpdate(key: "warehouse", expectedRevision: tampered.revision, settings: record.settings))
        }
        // ... one that gives the password again repairs it.
        try store.updateConnection(ConnectionUpdate(
            key: "warehouse", expectedRevision: tampered.revision, settings: record.settings, password: Secret("again")))
        #expect(try store.connectionPassword(key: "warehouse").exposedValue == "again")
    }

    @Test("SQLite: a row whose host was changed behind the store's back does not open its password")
    func tamperedSQLite() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteRegistryStore(path: directory.file("registry.sqlite3"), key: .random())
        defer { store.close() }
        try expectTamperedRowRefused(store) {
            try store.withDatabase { _ = try $0.run("UPDATE connections SET host = 'attacker.example.com' WHERE key = 'warehouse'") }
        }
    }

    @Test("PostgreSQL (shared mode): a row whose host another program changed does not open its password",
          arguments: [TestPostgres.pg16, .pg17])
    func tamperedPostgres(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let store = try database.openStore(key: .random())
        defer { store.close() }
        try expectTamperedRowRefused(store) {
            try database.admin("UPDATE steward_registry.connections SET host = 'attacker.example.com' WHERE key = 'warehouse'")
        }
    }

    // MARK: - Passwords stored before the binding

    /// The frozen version 1 fixture's sealed password of `warehouse`, as the
    /// old code sealed it (the connection key alone as associated data).
    func frozenLegacySeal() throws -> (sealed: [UInt8], settings: ConnectionSettings) {
        let directory = try TemporaryDirectory()
        try materialize(fixture: SchemaV1Fixture.sql, at: directory.file("v1.sqlite3"))
        let database = try SQLiteDatabase(path: directory.file("v1.sqlite3"))
        defer { database.close() }
        let sealed = try #require(try database.queryFirst(
            "SELECT password_sealed FROM connections WHERE key = 'warehouse'", as: { $0.blob(0) }))
        return (sealed, Samples.settings())
    }

    @Test("SQLite: the version 1 fixture's passwords are resealed once at open, bound to the rows' settings")
    func legacySQLite() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("registry.sqlite3")
        try materialize(fixture: SchemaV1Fixture.sql, at: path)
        let legacy = try frozenLegacySeal().sealed
        let cipher = SecretCipher(key: SchemaV1Fixture.key)
        #expect(cipher.open(legacy, context: "steward/connection-password/v1/warehouse") == Array("fixture-password-1".utf8))

        let store = try SQLiteRegistryStore(path: path, key: SchemaV1Fixture.key)
        let resealed = try store.withDatabase { database in
            try database.queryFirst("SELECT password_sealed FROM connections WHERE key = 'warehouse'", as: { $0.blob(0) })
        }
        #expect(resealed != nil && resealed != legacy)
        #expect(cipher.open(try #require(resealed), context: "steward/connection-password/v1/warehouse") == nil,
                "the legacy context no longer opens it")
        #expect(try store.connectionPassword(key: "warehouse").exposedValue == "fixture-password-1")
        #expect(try store.connectionPassword(key: "retired").exposedValue == "fixture-password-3")
        store.close()

        // Once only: a second open leaves the seals as they are.
        let again = try SQLiteRegistryStore(path: path, key: SchemaV1Fixture.key)
        defer { again.close() }
        #expect(try again.withDatabase { database in
            try database.queryFirst("SELECT password_sealed FROM connections WHERE key = 'warehouse'", as: { $0.blob(0) })
        } == resealed)
        try again.withDatabase { _ = try $0.run("UPDATE connections SET port = 1 WHERE key = 'warehouse'") }
        expectStoreError(.failedPrecondition) { _ = try again.connectionPassword(key: "warehouse") }
    }

    @Test("PostgreSQL: a password sealed by the old code (the frozen fixture's) is resealed at open and bound",
          arguments: [TestPostgres.pg16, .pg17])
    func legacyPostgres(server: TestPostgres) throws {
        let database = try PostgresTestDatabase(on: server)
        let frozen = try frozenLegacySeal()
        let store = try database.openStore(key: SchemaV1Fixture.key)
        try store.createConnection(key: "warehouse", settings: frozen.settings, password: Secret("placeholder"), createdBy: 1)
        store.close()
        // Back to what a registry written before the binding holds: the old
        // seal on the row, and no marker.
        let hex = frozen.sealed.map { String(format: "%02x", $0) }.joined()
        try database.admin("UPDATE steward_registry.connections SET password_sealed = decode($1, 'hex') WHERE key = 'warehouse'", [hex])
        try database.admin("DELETE FROM steward_registry.meta WHERE name = 'password_binding'")

        let reopened = try database.openStore(key: SchemaV1Fixture.key)
        defer { reopened.close() }
        #expect(try reopened.connectionPassword(key: "warehouse").exposedValue == "fixture-password-1")
        let marker = try database.admin("SELECT count(*) AS n FROM steward_registry.meta WHERE name = 'password_binding'")
        #expect(try marker.rows[0].int("n") == 1)
        try database.admin("UPDATE steward_registry.connections SET username = 'someone_else' WHERE key = 'warehouse'")
        expectStoreError(.failedPrecondition) { _ = try reopened.connectionPassword(key: "warehouse") }
    }
}

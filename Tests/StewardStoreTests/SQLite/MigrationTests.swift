import Foundation
import StewardStore
import StewardWire
import Testing

@Suite("Schema migrations")
struct MigrationTests {
    /// The frozen fixture of every older schema version: each must open
    /// and upgrade. A new version adds its predecessor's fixture here.
    static let fixtures: [(version: Int, sql: String, key: StoreKey)] = [
        (SchemaV1Fixture.version, SchemaV1Fixture.sql, SchemaV1Fixture.key),
        (SchemaV2Fixture.version, SchemaV2Fixture.sql, SchemaV2Fixture.key),
        (SchemaV3Fixture.version, SchemaV3Fixture.sql, SchemaV3Fixture.key),
        (SchemaV4Fixture.version, SchemaV4Fixture.sql, SchemaV4Fixture.key),
        (SchemaV5Fixture.version, SchemaV5Fixture.sql, SchemaV5Fixture.key),
        (SchemaV6Fixture.version, SchemaV6Fixture.sql, SchemaV6Fixture.key),
        (SchemaV7Fixture.version, SchemaV7Fixture.sql, SchemaV7Fixture.key),
        (SchemaV8Fixture.version, SchemaV8Fixture.sql, SchemaV8Fixture.key),
        (SchemaV9Fixture.version, SchemaV9Fixture.sql, SchemaV9Fixture.key),
        (SchemaV10Fixture.version, SchemaV10Fixture.sql, SchemaV10Fixture.key),
    ]

    @Test("Migrations are numbered 1, 2, … without gaps, and every older version has a fixture")
    func numbering() {
        #expect(Migration.all.map(\.version) == Array(1...Migration.latestVersion))
        #expect(Self.fixtures.map(\.version) == Array(1..<Migration.latestVersion))
    }

    @Test("Migration 1 is still what shipped: the frozen fixture's schema equals a fresh version 1")
    func migrationOneUnchanged() throws {
        let directory = try TemporaryDirectory()
        try materialize(fixture: SchemaV1Fixture.sql, at: directory.file("fixture.sqlite3"))
        let fresh = try SQLiteDatabase(path: directory.file("fresh.sqlite3"))
        try Migrator.migrate(fresh, to: 1)
        fresh.close()
        #expect(
            try schema(directory.file("fixture.sqlite3")) == schema(directory.file("fresh.sqlite3")),
            "migration 1 was edited after it shipped: revert it and put the change in a new migration")
    }

    @Test("A version 1 store opens, upgrades to the latest version and keeps every row")
    func upgradeFromV1() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("registry.sqlite3")
        try materialize(fixture: SchemaV1Fixture.sql, at: path)
        let store = try SQLiteRegistryStore(path: path, key: SchemaV1Fixture.key)
        defer { store.close() }
        #expect(try store.withDatabase { try $0.userVersion() } == Migration.latestVersion)

        let warehouse = try store.connection(key: "warehouse")
        #expect(warehouse.state == .active)
        #expect(warehouse.revision == 3)
        #expect(warehouse.settingsRevision == 3, "version 2 backfills settings_revision with the revision")
        #expect(warehouse.displayName == "WAREHOUSE")
        #expect(warehouse.sslMode == .verifyCA)
        #expect(!warehouse.settings.provisionMissingRoles, "version 8 leaves every stored connection as it was: no provisioning")
        #expect(warehouse.governedDatabases == ["sales", "hr"])
        #expect(warehouse.caCertificate == "-----BEGIN CERTIFICATE-----\nMIIBfixture\n-----END CERTIFICATE-----\n")
        #expect(warehouse.createdAt == Date(timeIntervalSince1970: 1_735_689_600.000001))
        #expect(try store.connectionPassword(key: "warehouse").exposedValue == "fixture-password-1")
        #expect(try store.connectionPassword(key: "neon-prod").exposedValue == "fixture-password-2")
        #expect(try store.connection(key: "neon-prod").deploymentType == .neon)
        #expect(try store.transitions(key: "retired").map(\.to) == [.registered, .validated, .active, .inactive])

        let report = try #require(try store.latestValidationReport(connectionKey: "warehouse"))
        #expect(report.outcome == .warning)
        #expect(report.checks.map(\.name) == ["reachable", "table privileges"])
        #expect(report.checks[1].failingObjects == ["sales.public.orders", "sales.public.items"])
        #expect(report.checks[1].failingObjectCount == 3)

        let sources = try store.listDataSources(DataSourceFilter(connectionKey: "warehouse"), page: PageRequest())
        #expect(sources.items.map(\.name) == ["warehouse.sales.public.old_items", "warehouse.sales.public.orders"])
        #expect(sources.items.map(\.state) == [.disabled, .enabled])
        #expect(sources.items[1].columns.map(\.name) == ["id", "placed_at"])
        // Version 6: kinds unknown until the next sync; synced before, so governed.
        #expect(sources.items.map(\.kind) == [nil, nil])
        #expect(sources.items.allSatisfy { $0.governable })

        #expect(try store.user(uid: 1001)?.permissions == [.applicationAdmin])
        #expect(try store.user(name: "bob").permissions == [.userAdmin])
        #expect(try store.listMappings(MappingFilter()).count == 3)
        #expect(try store.effectiveIdentity(userName: "alice", connectionKey: "warehouse").postgresUsername == "alice_pg")
        #expect(try store.effectiveIdentity(userName: "bob", connectionKey: "warehouse").identity
            == .iamPrincipal("arn:aws:iam::123456789012:user/bob"))

        let audit = try store.listAuditEvents(AuditFilter(), page: PageRequest())
        #expect(audit.items.map(\.id) == [3, 2, 1])
        #expect(audit.items[1].status == .permissionDenied)

        // The upgraded store works: rules from version 1 still hold, ids go on.
        let appended = try store.appendAuditEvent(NewAuditEvent(at: Date(), uid: 1, method: "/a/B", status: .ok))
        #expect(appended.id == 4)
        expectStoreError(.alreadyExists) {
            _ = try store.setMapping(IdentityMapping(userName: "bob", connectionKey: nil, identity: .postgresUsername("alice_pg")))
        }
        try store.deleteConnection(key: "retired", expectedRevision: 4)
        let updated = try store.updateConnection(
            ConnectionUpdate(key: "warehouse", expectedRevision: 3, settings: warehouse.settings))
        #expect(updated.settingsRevision == 4)
    }

    @Test("Every older fixture upgrades to the same schema as a fresh store")
    func upgradedSchemaMatchesFresh() throws {
        for fixture in Self.fixtures {
            let directory = try TemporaryDirectory()
            try materialize(fixture: fixture.sql, at: directory.file("old.sqlite3"))
            let upgraded = try SQLiteRegistryStore(path: directory.file("old.sqlite3"), key: fixture.key)
            upgraded.close()
            let fresh = try SQLiteRegistryStore(path: directory.file("new.sqlite3"), key: .random())
            fresh.close()
            #expect(try schema(directory.file("old.sqlite3")) == schema(directory.file("new.sqlite3")),
                    "from version \(fixture.version)")
        }
    }

    @Test("A fixture opened with another key is refused before it is upgraded")
    func wrongKeyDoesNotUpgrade() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("registry.sqlite3")
        try materialize(fixture: SchemaV1Fixture.sql, at: path)
        expectStoreError(.keyMismatch) { _ = try SQLiteRegistryStore(path: path, key: .random()) }
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        #expect(try database.userVersion() == 1)
    }

    @Test("A store from a newer schema version is refused, and left as it was")
    func newerVersionRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("registry.sqlite3")
        let key = StoreKey.random()
        try SQLiteRegistryStore(path: path, key: key).close()
        do {
            let database = try SQLiteDatabase(path: path)
            try database.execute(script: "PRAGMA user_version = 99")
            database.close()
        }
        expectStoreError(
            .schemaTooNew,
            "the registry store \(path) has schema version 99, newer than this stewardd understands "
                + "(\(Migration.latestVersion)); run a newer stewardd"
        ) { _ = try SQLiteRegistryStore(path: path, key: key) }
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        #expect(try database.userVersion() == 99)
    }

    @Test("A migration that fails is rolled back whole: the version and the schema stay as they were")
    func failedMigrationRollsBack() throws {
        let directory = try TemporaryDirectory()
        let database = try SQLiteDatabase(path: directory.file("db.sqlite3"))
        defer { database.close() }
        let broken = Migration(
            version: 2, summary: "broken",
            sql: "CREATE TABLE half_done (a INTEGER); INSERT INTO no_such_table VALUES (1);")
        #expect(throws: SQLiteError.self) {
            try Migrator.migrate(database, migrations: [Migration.v1InitialSchema, broken])
        }
        #expect(try database.userVersion() == 1)
        #expect(try database.query("SELECT name FROM sqlite_schema WHERE name = 'half_done'") { $0.text(0) }.isEmpty)
    }

    @Test("A file with tables but no schema version is not taken for a Steward store")
    func foreignDatabase() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("registry.sqlite3")
        do {
            let database = try SQLiteDatabase(path: path)
            try database.execute(script: "CREATE TABLE something_else (x)")
            database.close()
        }
        expectStoreError(.corrupt) { _ = try SQLiteRegistryStore(path: path, key: .random()) }
    }

    /// The schema as SQLite stores it, for comparison.
    func schema(_ path: String) throws -> [String] {
        let database = try SQLiteDatabase(path: path)
        defer { database.close() }
        return try database.query(
            "SELECT type || ' ' || name || ': ' || ifnull(sql, '') FROM sqlite_schema ORDER BY type, name"
        ) { $0.text(0) }
    }
}

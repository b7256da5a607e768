import Foundation
import StewardStore
import Testing

/// Syncs that read only some schemas (their digests changed): what lies
/// outside the scope is left exactly as it was, the scope's digests are
/// replaced, and nothing is written when nothing changed.
@Suite("Registry store conformance: scoped syncs and schema digests")
struct ScopedSyncConformanceTests {
    static func digest(_ database: String, _ schema: String, _ seed: Character, tables: Int = 1) -> SchemaDigestRecord {
        SchemaDigestRecord(database: database, schema: schema, digest: String(repeating: seed, count: 64), tables: tables)
    }

    @Test("A schema-scoped sync compares only its schemas: others are not DISABLED though not listed", arguments: StoreBackend.all)
    func outsideTheScopeStays(backend: StoreBackend) throws {
        try backend.withStore { store, clock in
            try Samples.connection(store, "warehouse")
            let orders = Samples.table("sales", "public", "orders")
            let staff = Samples.table("sales", "people", "staff")
            let ledger = Samples.table("hr", "public", "ledger")
            try store.syncDataSources(
                connectionKey: "warehouse", scope: DataSourceSyncScope(databases: ["sales", "hr"]),
                tables: [orders, staff, ledger],
                digests: [Self.digest("sales", "public", "a"), Self.digest("sales", "people", "b"), Self.digest("hr", "public", "c")])
            let before = try store.dataSource(name: "warehouse.sales.public.orders")
            clock.advance(by: 60)

            // Only sales.people was read: staff changed its columns, and a
            // new table appeared there; sales.public and hr are untouched.
            let widened = Samples.table("sales", "people", "staff", columns: [("id", "bigint"), ("name", "text")])
            let badges = Samples.table("sales", "people", "badges")
            let summary = try store.syncDataSources(
                connectionKey: "warehouse", scope: DataSourceSyncScope(schemas: ["sales": ["people"]]),
                tables: [widened, badges], digests: [Self.digest("sales", "people", "d", tables: 2)])
            #expect(summary.added == ["warehouse.sales.people.badges"])
            #expect(summary.updated == ["warehouse.sales.people.staff"])
            #expect(summary.disabled.isEmpty && summary.unchanged == 0)
            #expect(try store.dataSource(name: "warehouse.sales.public.orders") == before)
            #expect(try store.dataSource(name: "warehouse.hr.public.ledger").state == .enabled)
            #expect(try store.schemaDigests(connectionKey: "warehouse") == [
                Self.digest("hr", "public", "c"), Self.digest("sales", "people", "d", tables: 2), Self.digest("sales", "public", "a"),
            ])

            // A schema found gone: in the scope with no tables, its data
            // sources are DISABLED and its digest dropped.
            let gone = try store.syncDataSources(
                connectionKey: "warehouse", scope: DataSourceSyncScope(schemas: ["sales": ["people"]]), tables: [], digests: [])
            #expect(gone.disabled == ["warehouse.sales.people.badges", "warehouse.sales.people.staff"])
            #expect(try store.schemaDigests(connectionKey: "warehouse").map(\.schema) == ["public", "public"])
            #expect(try store.enabledDataSourceDatabases(connectionKey: "warehouse") == ["sales", "hr"])
        }
    }

    @Test("The same digests again write nothing; a whole-database sync without digests drops that database's", arguments: StoreBackend.all)
    func digestsReplacedWithinTheScope(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try Samples.connection(store, "warehouse")
            let orders = Samples.table("sales", "public", "orders")
            let digests = [Self.digest("sales", "public", "a"), Self.digest("hr", "public", "b", tables: 0)]
            try store.syncDataSources(
                connectionKey: "warehouse", scope: DataSourceSyncScope(databases: ["sales", "hr"]), tables: [orders], digests: digests)
            let same = try store.syncDataSources(
                connectionKey: "warehouse", scope: DataSourceSyncScope(schemas: ["sales": ["public"], "hr": ["public"]]),
                tables: [orders], digests: digests)
            #expect(same.isEmpty && same.unchanged == 1)
            #expect(try store.schemaDigests(connectionKey: "warehouse") == digests.sorted { $0.database < $1.database })
            // The older call: the whole database read, no digests stored.
            try store.syncDataSources(connectionKey: "warehouse", scannedDatabases: ["sales"], tables: [orders])
            #expect(try store.schemaDigests(connectionKey: "warehouse") == [Self.digest("hr", "public", "b", tables: 0)])
        }
    }

    @Test("Tables or digests outside the scope, and malformed digests, are refused and change nothing", arguments: StoreBackend.all)
    func refusesInputOutsideTheScope(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try Samples.connection(store, "warehouse")
            let scope = DataSourceSyncScope(schemas: ["sales": ["public"]])
            let cases: [([DiscoveredTable], [SchemaDigestRecord], String)] = [
                ([Samples.table("sales", "people", "staff")], [], "which the sync did not scan"),
                ([], [Self.digest("sales", "people", "a")], "the sync did not read it"),
                ([], [SchemaDigestRecord(database: "sales", schema: "public", digest: "ABC", tables: 1)], "malformed digest"),
                ([], [Self.digest("sales", "public", "a", tables: -1)], "malformed digest"),
                ([], [Self.digest("sales", "public", "a"), Self.digest("sales", "public", "b")], "two digests"),
            ]
            for (tables, digests, words) in cases {
                let error = #expect(throws: StoreError.self) {
                    try store.syncDataSources(connectionKey: "warehouse", scope: scope, tables: tables, digests: digests)
                }
                #expect(error?.code == .invalidArgument && error?.message.contains(words) == true, "\(String(describing: error))")
            }
            #expect(try store.schemaDigests(connectionKey: "warehouse").isEmpty)
            #expect(try store.listDataSources(DataSourceFilter(connectionKey: "warehouse"), page: PageRequest(size: 10)).items.isEmpty)
        }
    }

    @Test("Deleting a connection deletes its digests; another connection's are its own", arguments: StoreBackend.all)
    func digestsGoWithTheirConnection(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            let record = try Samples.connection(store, "warehouse", in: .inactive)
            try Samples.connection(store, "other")
            try store.syncDataSources(
                connectionKey: "warehouse", scope: DataSourceSyncScope(databases: ["sales"]), tables: [],
                digests: [Self.digest("sales", "public", "a", tables: 0)])
            #expect(try store.schemaDigests(connectionKey: "warehouse").count == 1)
            #expect(try store.schemaDigests(connectionKey: "other").isEmpty)
            try store.deleteConnection(key: "warehouse", expectedRevision: record.revision)
            try Samples.connection(store, "warehouse")
            #expect(try store.schemaDigests(connectionKey: "warehouse").isEmpty)
            #expect(throws: StoreError.self) { try store.schemaDigests(connectionKey: "missing") }
        }
    }
}

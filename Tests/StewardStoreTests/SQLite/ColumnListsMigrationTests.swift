import Foundation
import StewardStore
import Testing
@testable import StewardStore

/// Migration 11 turns each data source's column rows into one list in its
/// own row. From the frozen version 10 fixture, every data source keeps its
/// columns, and the stored text is exactly what a sync writes: otherwise
/// the first sync after the upgrade would report every table's columns as
/// changed.
@Suite("Schema migrations: column lists (version 11)")
struct ColumnListsMigrationTests {
    /// The version 10 fixture, opened (so upgraded); the directory holds it.
    func upgradedFixture() throws -> (TemporaryDirectory, SQLiteRegistryStore) {
        let directory = try TemporaryDirectory()
        let path = directory.file("registry.sqlite3")
        try materialize(fixture: SchemaV10Fixture.sql, at: path)
        return (directory, try SQLiteRegistryStore(path: path, key: SchemaV10Fixture.key))
    }

    @Test("The version 10 fixture's columns become lists written exactly as a sync writes them")
    func carriedOverExactly() throws {
        let (directory, store) = try upgradedFixture()
        defer { withExtendedLifetime(directory) { store.close() } }
        #expect(try store.withDatabase { try $0.userVersion() } == Migration.latestVersion)

        let orders = [
            ColumnRecord(name: "id", type: "bigint", position: 1),
            ColumnRecord(name: "placed_at", type: "timestamp with time zone", position: 2),
            ColumnRecord(name: #"note "quoted" \ é"#, type: "character varying(20)", position: 3),
        ]
        #expect(try store.dataSource(name: "warehouse.sales.public.orders").columns == orders)
        #expect(try store.dataSource(name: "warehouse.sales.public.old_items").columns
            == [ColumnRecord(name: "id", type: "integer", position: 1)])
        let stored = try store.withDatabase { database in
            try database.query("SELECT name, columns FROM data_sources ORDER BY id") { ($0.text(0), $0.text(1)) }
        }
        #expect(stored.map(\.1) == [
            try ColumnListText.encode(orders), try ColumnListText.encode([ColumnRecord(name: "id", type: "integer", position: 1)]),
        ])
        // A data source without columns (none in the fixture) would keep the default.
        let tables = try store.withDatabase { database in
            try database.query("SELECT name FROM sqlite_schema WHERE type = 'table'") { $0.text(0) }
        }
        #expect(!tables.contains("data_source_columns"))
    }

    @Test("A damaged column list is refused when read, naming the damage, not passed on")
    func damagedListRefused() throws {
        let (directory, store) = try upgradedFixture()
        defer { withExtendedLifetime(directory) { store.close() } }
        for damaged in [
            #"[{"n":"id","y":"bigint","p":1},{"n":"id","y":"text","p":2}]"#,  // a name twice
            #"[{"n":"b","y":"bigint","p":2},{"n":"a","y":"text","p":1}]"#,  // positions not ascending
            #"[{"n":"id","y":"bigint","p":0}]"#,  // a position below 1
            #"[{"n":"id","p":1}]"#,  // no type
        ] {
            _ = try store.withDatabase { database in
                try database.run("UPDATE data_sources SET columns = ? WHERE name = 'warehouse.sales.public.orders'", damaged)
            }
            let error = #expect(throws: StoreError.self, "\(damaged)") {
                try store.dataSource(name: "warehouse.sales.public.orders")
            }
            #expect(error?.code == .corrupt)
            #expect(error?.message == "the registry store holds a damaged column list")
        }
    }
}

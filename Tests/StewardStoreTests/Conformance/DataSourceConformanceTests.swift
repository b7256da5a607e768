import Foundation
import StewardStore
import Testing

@Suite("Registry store conformance: data sources")
struct DataSourceConformanceTests {
    @Test("A first sync adds every table as an ENABLED data source with its columns",
          arguments: StoreBackend.all)
    func firstSync(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try Samples.connection(store, "warehouse")
            let summary = try store.syncDataSources(
                connectionKey: "warehouse", scannedDatabases: ["sales", "hr"],
                tables: [
                    Samples.table("sales", "public", "orders", columns: [("id", "bigint"), ("total", "numeric(12,2)")]),
                    Samples.table("hr", "people", "staff"),
                ])
            #expect(summary.added == ["warehouse.hr.people.staff", "warehouse.sales.public.orders"])
            #expect(summary.updated.isEmpty && summary.disabled.isEmpty && summary.unchanged == 0)
            let orders = try store.dataSource(name: "warehouse.sales.public.orders")
            #expect(orders.state == .enabled)
            #expect(orders.connectionKey == "warehouse")
            #expect(orders.database == "sales" && orders.schema == "public" && orders.table == "orders")
            #expect(orders.columns == [
                ColumnRecord(name: "id", type: "bigint", position: 1),
                ColumnRecord(name: "total", type: "numeric(12,2)", position: 2),
            ])
        }
    }

    @Test("Sync is incremental: no change writes nothing; changed columns update; missing tables are DISABLED, not deleted",
          arguments: StoreBackend.all)
    func incremental(backend: StoreBackend) throws {
        try backend.withStore { store, clock in
            try Samples.connection(store, "warehouse")
            let orders = Samples.table("sales", "public", "orders")
            let items = Samples.table("sales", "public", "items")
            try store.syncDataSources(connectionKey: "warehouse", scannedDatabases: ["sales"], tables: [orders, items])
            let before = try store.dataSource(name: "warehouse.sales.public.orders")

            clock.advance(by: 60)
            let same = try store.syncDataSources(
                connectionKey: "warehouse", scannedDatabases: ["sales"], tables: [items, orders])
            #expect(same.isEmpty)
            #expect(same.unchanged == 2)
            #expect(try store.dataSource(name: "warehouse.sales.public.orders") == before)

            let widened = Samples.table("sales", "public", "orders", columns: [("id", "bigint"), ("note", "text")])
            let changed = try store.syncDataSources(
                connectionKey: "warehouse", scannedDatabases: ["sales"], tables: [widened])
            #expect(changed.updated == ["warehouse.sales.public.orders"])
            #expect(changed.disabled == ["warehouse.sales.public.items"])
            let after = try store.dataSource(name: "warehouse.sales.public.orders")
            #expect(after.columns.map(\.name) == ["id", "note"])
            #expect(after.updatedAt > before.updatedAt)
            #expect(after.createdAt == before.createdAt)
            #expect(try store.dataSource(name: "warehouse.sales.public.items").state == .disabled)

            let back = try store.syncDataSources(
                connectionKey: "warehouse", scannedDatabases: ["sales"], tables: [widened, items])
            #expect(back.updated == ["warehouse.sales.public.items"])
            #expect(back.unchanged == 1)
            #expect(try store.dataSource(name: "warehouse.sales.public.items").state == .enabled)
        }
    }

    @Test("Data sources of databases the sync did not scan are left alone", arguments: StoreBackend.all)
    func scope(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try Samples.connection(store, "warehouse")
            try store.syncDataSources(
                connectionKey: "warehouse", scannedDatabases: ["sales", "hr"],
                tables: [Samples.table("sales", "public", "orders"), Samples.table("hr", "public", "staff")])
            let summary = try store.syncDataSources(
                connectionKey: "warehouse", scannedDatabases: ["sales"], tables: [Samples.table("sales", "public", "orders")])
            #expect(summary.isEmpty)
            #expect(try store.dataSource(name: "warehouse.hr.public.staff").state == .enabled)
            expectStoreError(.invalidArgument) {
                _ = try store.syncDataSources(
                    connectionKey: "warehouse", scannedDatabases: ["sales"], tables: [Samples.table("hr", "public", "staff")])
            }
        }
    }

    @Test("A sync that fails part-way writes nothing", arguments: StoreBackend.all)
    func syncRollsBack(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try Samples.connection(store, "warehouse")
            try store.syncDataSources(
                connectionKey: "warehouse", scannedDatabases: ["sales"], tables: [Samples.table("sales", "public", "old")])
            // The second table repeats a column name: it fails after the
            // first table was written and the old one disabled.
            let broken = Samples.table("sales", "public", "broken", columns: [("id", "int"), ("id", "text")])
            expectStoreError(.invalidArgument) {
                _ = try store.syncDataSources(
                    connectionKey: "warehouse", scannedDatabases: ["sales"],
                    tables: [Samples.table("sales", "public", "fresh"), broken])
            }
            let all = try store.listDataSources(DataSourceFilter(), page: PageRequest())
            #expect(all.items.map(\.name) == ["warehouse.sales.public.old"])
            #expect(all.items.first?.state == .enabled)
        }
    }

    @Test("Two columns whose names differ only in Unicode normalization are two columns, stored and read back",
          arguments: StoreBackend.all)
    func canonicallyEquivalentColumnNames(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try Samples.connection(store, "warehouse")
            // PostgreSQL compares names byte for byte; Swift's String == does not.
            let (composed, decomposed) = ("caf\u{E9}", "cafe\u{301}")
            let table = Samples.table("sales", "public", "menu", columns: [(composed, "text"), (decomposed, "text")])
            try store.syncDataSources(connectionKey: "warehouse", scannedDatabases: ["sales"], tables: [table])
            let columns = try store.dataSource(name: "warehouse.sales.public.menu").columns
            #expect(columns.map { Array($0.name.utf8) } == [Array(composed.utf8), Array(decomposed.utf8)])
        }
    }

    @Test("Data sources list by name, filtered by connection, exact name prefix and state, page by page",
          arguments: StoreBackend.all)
    func list(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try Samples.connection(store, "a")
            try Samples.connection(store, "b")
            try store.syncDataSources(
                connectionKey: "a", scannedDatabases: ["sales"],
                tables: ["t1", "t2", "t_3", "tx3", "T4", "t*5"].map { Samples.table("sales", "public", $0) })
            try store.syncDataSources(
                connectionKey: "b", scannedDatabases: ["sales"], tables: [Samples.table("sales", "public", "t1")])

            var names: [String] = []
            var token: String?
            repeat {
                let page = try store.listDataSources(DataSourceFilter(), page: PageRequest(size: 3, token: token))
                names += page.items.map(\.name)
                token = page.nextPageToken
            } while token != nil
            #expect(names == [
                "a.sales.public.T4", "a.sales.public.t*5", "a.sales.public.t1", "a.sales.public.t2",
                "a.sales.public.t_3", "a.sales.public.tx3", "b.sales.public.t1",
            ])

            func listed(_ filter: DataSourceFilter) throws -> [String] {
                try store.listDataSources(filter, page: PageRequest()).items.map(\.name)
            }
            #expect(try listed(DataSourceFilter(connectionKey: "b")) == ["b.sales.public.t1"])
            #expect(try listed(DataSourceFilter(namePrefix: "a.sales.public.t_")) == ["a.sales.public.t_3"])
            #expect(try listed(DataSourceFilter(namePrefix: "a.sales.public.t*")) == ["a.sales.public.t*5"])
            #expect(try listed(DataSourceFilter(namePrefix: "a.sales.public.T")) == ["a.sales.public.T4"])
            #expect(try listed(DataSourceFilter(connectionKey: "a", namePrefix: "b.")).isEmpty)

            try store.syncDataSources(connectionKey: "b", scannedDatabases: ["sales"], tables: [])
            #expect(try listed(DataSourceFilter(state: .disabled)) == ["b.sales.public.t1"])
            expectStoreError(.notFound, "no data source named \"a.sales.public.nope\"") {
                _ = try store.dataSource(name: "a.sales.public.nope")
            }
            expectStoreError(.notFound) {
                _ = try store.syncDataSources(connectionKey: "ghost", scannedDatabases: [], tables: [])
            }
        }
    }

    @Test("A name two data sources share is refused by Get, saying how to tell them apart", arguments: StoreBackend.all)
    func ambiguousName(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try Samples.connection(store, "wh")
            // "wh" + "a.b" + "c" + "d" and "wh" + "a" + "b.c" + "d" are both "wh.a.b.c.d".
            try store.syncDataSources(
                connectionKey: "wh", scannedDatabases: ["a.b", "a"],
                tables: [
                    DiscoveredTable(database: "a.b", schema: "c", table: "d", columns: []),
                    DiscoveredTable(database: "a", schema: "b.c", table: "d", columns: []),
                ])
            let error = #expect(throws: StoreError.self) { _ = try store.dataSource(name: "wh.a.b.c.d") }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message.contains("more than one data source is named \"wh.a.b.c.d\"") == true)
        }
    }

    @Test("Deleting a connection deletes its data sources", arguments: StoreBackend.all)
    func deletedWithConnection(backend: StoreBackend) throws {
        try backend.withStore { store, _ in
            try Samples.connection(store, "gone", in: .inactive)
            try store.syncDataSources(
                connectionKey: "gone", scannedDatabases: ["sales"], tables: [Samples.table("sales", "public", "t")])
            try store.deleteConnection(key: "gone", expectedRevision: nil)
            #expect(try store.listDataSources(DataSourceFilter(), page: PageRequest()).items.isEmpty)
        }
    }
}

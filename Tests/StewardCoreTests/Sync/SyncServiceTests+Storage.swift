import Foundation
import StewardCore
import StewardPostgres
import StewardStore
import StewardWire
import Testing

/// How a sync's findings are stored: incrementally, and per connection.
extension SyncServiceTests {
    // MARK: Incremental storage

    @Test("Incremental: added; a repeat writes nothing; a missing table DISABLED; found again ENABLED; column changes updated")
    func incremental() async throws {
        try connection("wh", governed: ["sales", "hr"])
        scanner.set("sales", [Self.orders, Self.customers])
        scanner.set("hr", [Self.staff])

        let first = try await sync("wh")
        let all = ["wh.hr.hr.staff", "wh.sales.public.customers", "wh.sales.public.orders"]
        #expect(first.summary == DataSourceSyncSummary(added: all))
        let initial = try dataSources("wh")

        // The same tables again: no change, nothing written (every record,
        // updatedAt included, is as it was; the store's clock moves on
        // every reading, so any write would show).
        let repeated = try await sync("wh")
        #expect(repeated.summary.isEmpty)
        #expect(repeated.summary == DataSourceSyncSummary(unchanged: 3))
        #expect(try dataSources("wh") == initial)

        // The same columns, listed in another order, are the same columns.
        scanner.set("sales", [Self.customers, DiscoveredTable(
            database: "", schema: "public", table: "orders", columns: Self.orders.columns.reversed())])
        #expect(try await sync("wh").summary == DataSourceSyncSummary(unchanged: 3))
        #expect(try dataSources("wh") == initial)

        // A table gone: DISABLED, kept with its columns.
        scanner.set("sales", [Self.orders])
        let removed = try await sync("wh")
        #expect(removed.summary == DataSourceSyncSummary(disabled: ["wh.sales.public.customers"], unchanged: 2))
        var current = try dataSources("wh")
        let disabled = try #require(current["wh.sales.public.customers"])
        let wasCustomers = try #require(initial["wh.sales.public.customers"])
        #expect(disabled.state == .disabled)
        #expect(disabled.columns == wasCustomers.columns)
        #expect(disabled.createdAt == wasCustomers.createdAt)
        #expect(disabled.updatedAt > wasCustomers.updatedAt)
        #expect(current["wh.sales.public.orders"] == initial["wh.sales.public.orders"])
        #expect(current["wh.hr.hr.staff"] == initial["wh.hr.hr.staff"])
        // Still gone: it is not disabled again, and nothing is written.
        #expect(try await sync("wh").summary == DataSourceSyncSummary(unchanged: 2))
        #expect(try dataSources("wh") == current)

        // Back again: updated, ENABLED, still the same data source.
        scanner.set("sales", [Self.orders, Self.customers])
        let back = try await sync("wh")
        #expect(back.summary == DataSourceSyncSummary(updated: ["wh.sales.public.customers"], unchanged: 2))
        current = try dataSources("wh")
        let enabled = try #require(current["wh.sales.public.customers"])
        #expect(enabled.state == .enabled && enabled.columns == wasCustomers.columns)
        #expect(enabled.createdAt == wasCustomers.createdAt && enabled.updatedAt > disabled.updatedAt)

        // Column changes, one at a time: each is an update of that table alone.
        let changes: [(String, DiscoveredTable)] = [
            ("a type", Self.table("public", "orders", [("id", "integer"), ("total", "numeric(12,2)")])),
            ("a rename", Self.table("public", "orders", [("id", "integer"), ("amount", "numeric(12,2)")])),
            ("a new column", Self.table("public", "orders", [("id", "integer"), ("amount", "numeric(12,2)"), ("note", "text")])),
            ("a dropped column", Self.table("public", "orders", [("id", "integer"), ("note", "text")], positions: [1, 3])),
            ("no column left", Self.table("public", "orders", [])),
            ("a first column again", Self.table("public", "orders", [("id", "integer")], positions: [4])),
        ]
        for (change, orders) in changes {
            let previous = try dataSources("wh")
            scanner.set("sales", [orders, Self.customers])
            let outcome = try await sync("wh")
            #expect(outcome.summary == DataSourceSyncSummary(updated: ["wh.sales.public.orders"], unchanged: 2), "\(change)")
            let now = try dataSources("wh")
            let stored = try #require(now["wh.sales.public.orders"])
            #expect(stored.columns == orders.columns, "\(change)")
            #expect(stored.state == .enabled, "\(change)")
            #expect(stored.updatedAt > (previous["wh.sales.public.orders"]?.updatedAt ?? .distantFuture), "\(change)")
            #expect(now["wh.sales.public.customers"] == previous["wh.sales.public.customers"], "\(change)")
            #expect(now["wh.hr.hr.staff"] == previous["wh.hr.hr.staff"], "\(change)")
        }
    }

    @Test("A sync of one connection never touches another's data sources, even in databases of the same name")
    func connectionsApart() async throws {
        try connection("alpha", governed: ["sales"])
        try connection("beta", governed: ["sales"])
        scanner.set("sales", [Self.orders])
        #expect(try await sync("alpha").summary.added == ["alpha.sales.public.orders"])
        #expect(try await sync("beta").summary.added == ["beta.sales.public.orders"])
        let beta = try dataSources("beta")

        scanner.set("sales", [])
        #expect(try await sync("alpha").summary == DataSourceSyncSummary(disabled: ["alpha.sales.public.orders"]))
        #expect(try dataSources("beta") == beta)
        #expect(try dataSources("alpha")["alpha.sales.public.orders"]?.state == .disabled)
    }

    @Test("Names with dots can make two data sources share a name: both are stored, synced apart, listed and paged")
    func sharedNames() async throws {
        // wh + "a.b" + "c" + "d" and wh + "a" + "b.c" + "d" are both "wh.a.b.c.d".
        try connection("wh", governed: ["a.b", "a"])
        scanner.set("a.b", [Self.table("c", "d", [("x", "integer")])])
        scanner.set("a", [Self.table("b.c", "d", [("y", "text")])])
        let added = try await sync("wh")
        #expect(added.summary == DataSourceSyncSummary(added: ["wh.a.b.c.d", "wh.a.b.c.d"]))
        let listed = try store.listDataSources(DataSourceFilter(connectionKey: "wh"), page: PageRequest()).items
        #expect(listed.map(\.name) == ["wh.a.b.c.d", "wh.a.b.c.d"])
        #expect(Set(listed.map(\.database)) == ["a.b", "a"])

        // Page by page, each comes once.
        var paged: [DataSourceRecord] = []
        var token: String?
        repeat {
            let page = try store.listDataSources(DataSourceFilter(namePrefix: "wh.a.b."), page: PageRequest(size: 1, token: token))
            paged += page.items
            token = page.nextPageToken
            try #require(paged.count <= 3, "paging does not end")
        } while token != nil
        #expect(paged == listed)

        #expect(try await sync("wh").summary == DataSourceSyncSummary(unchanged: 2))
        // One goes: only that one is DISABLED.
        scanner.set("a", [])
        #expect(try await sync("wh").summary == DataSourceSyncSummary(disabled: ["wh.a.b.c.d"], unchanged: 1))
        let now = try store.listDataSources(DataSourceFilter(connectionKey: "wh"), page: PageRequest()).items
        #expect(now.first { $0.database == "a" }?.state == .disabled)
        #expect(now.first { $0.database == "a.b" }?.state == .enabled)
    }
}

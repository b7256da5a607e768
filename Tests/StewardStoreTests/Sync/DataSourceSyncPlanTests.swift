import StewardModel
import Testing
@testable import StewardStore

@Suite("Data-source sync plan")
struct DataSourceSyncPlanTests {
    let orders = Samples.table("sales", "public", "orders")
    let items = Samples.table("sales", "public", "items", columns: [("id", "bigint"), ("sku", "text")])

    func stored(
        _ id: Int64, _ table: DiscoveredTable, enabled: Bool = true, kind: RelationKind? = .table, governable: Bool = true,
        columns: [ColumnRecord]? = nil
    ) -> (TableKey, DataSourceSyncPlan.Stored) {
        (TableKey(table), DataSourceSyncPlan.Stored(
            id: id, name: "w.\(table.database).\(table.schema).\(table.table)", enabled: enabled, kind: kind,
            governable: governable, columns: try! ColumnListText.encode(columns ?? table.columns)))
    }

    func plan(_ tables: [DiscoveredTable], _ stored: [(TableKey, DataSourceSyncPlan.Stored)]) -> DataSourceSyncPlan {
        try! DataSourceSyncPlan(
            tables: tables, columns: { (index) throws(StoreError) in try ColumnListText.encode(tables[index].columns) },
            stored: Dictionary(uniqueKeysWithValues: stored))
    }

    @Test("new tables are added in the order given")
    func added() {
        #expect(plan([items, orders], []) == DataSourceSyncPlan(added: [0, 1]))
    }

    @Test("a table found again with the same columns and ENABLED is unchanged")
    func unchanged() {
        #expect(plan([orders], [stored(1, orders)]) == DataSourceSyncPlan(unchanged: 1))
    }

    @Test("changed columns replace them; a DISABLED table found again is re-enabled, columns kept")
    func updated() {
        let changed = plan([orders, items], [stored(1, orders, columns: []), stored(2, items, enabled: false)])
        #expect(changed == DataSourceSyncPlan(updated: [
            .init(index: 0, id: 1, replacesColumns: true, governable: true),
            .init(index: 1, id: 2, replacesColumns: false, governable: true),
        ]))
    }

    @Test("governable: a new table as found; once governed, an ENABLED one stays governed; a DISABLED one found again is judged afresh")
    func governable() {
        var fresh = orders
        fresh.governable = false
        #expect(plan([fresh], [stored(1, orders, governable: true)]) == DataSourceSyncPlan(unchanged: 1))
        #expect(plan([orders], [stored(1, orders, governable: false)])
            == DataSourceSyncPlan(updated: [.init(index: 0, id: 1, replacesColumns: false, governable: true)]))
        #expect(plan([fresh], [stored(1, orders, enabled: false, governable: true)])
            == DataSourceSyncPlan(updated: [.init(index: 0, id: 1, replacesColumns: false, governable: false)]))
    }

    @Test("a kind recorded for the first time, or changed, is an update")
    func kinds() {
        var view = orders
        view.kind = .view
        #expect(plan([orders], [stored(1, orders, kind: nil)])
            == DataSourceSyncPlan(updated: [.init(index: 0, id: 1, replacesColumns: false, governable: true)]))
        #expect(plan([view], [stored(1, orders, kind: .table)])
            == DataSourceSyncPlan(updated: [.init(index: 0, id: 1, replacesColumns: false, governable: true)]))
    }

    @Test("an ENABLED table not found is disabled; a DISABLED one stays as it is")
    func disabled() {
        let gone = plan([], [stored(2, items), stored(1, orders), stored(3, Samples.table("sales", "x", "y"), enabled: false)])
        #expect(gone == DataSourceSyncPlan(disabled: [.init(id: 1, name: "w.sales.public.orders"), .init(id: 2, name: "w.sales.public.items")]))
    }

    @Test("the summary names each change, sorted")
    func summary() {
        let summary = plan([orders, items], [stored(1, Samples.table("sales", "a", "gone"))])
            .summary(connectionKey: "w", tables: [orders, items])
        #expect(summary == DataSourceSyncSummary(
            added: ["w.sales.public.items", "w.sales.public.orders"], disabled: ["w.sales.a.gone"]))
    }
}

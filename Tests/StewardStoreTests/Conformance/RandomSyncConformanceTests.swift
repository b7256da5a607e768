import StewardModel
import Testing
@testable import StewardStore

/// Each backend applies a data-source sync its own way (SQLite row by row,
/// PostgreSQL diffing in one query); both must do what the pure
/// ``DataSourceSyncPlan`` says, which a model of the store applies here.
@Suite("Registry store conformance: random syncs follow the sync plan")
struct RandomSyncConformanceTests {
    /// SplitMix64: a seeded generator, so a failure repeats.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let databases = ["a", "b", "c"]
    static let columnVariants: [[(String, String)]] = [[("id", "bigint")], [("id", "bigint"), ("note", "text")], [("id", "text")]]

    @Test("random syncs: summaries and stored states match the plan", arguments: StoreBackend.all, [1, 2, 3] as [UInt64])
    func randomSyncs(backend: StoreBackend, seed: UInt64) throws {
        var random = Seeded(state: seed)
        try backend.withStore { store, _ in
            try Samples.connection(store, "w")
            var model: [TableKey: DataSourceSyncPlan.Stored] = [:]
            var nextID: Int64 = 1
            for _ in 0..<15 {
                let scanned = Set(Self.databases.filter { _ in Bool.random(using: &random) })
                var tables: [DiscoveredTable] = []
                for database in scanned.sorted() {
                    for name in ["t0", "t1", "t2", "t3"] where Int.random(in: 0..<3, using: &random) > 0 {
                        var table = Samples.table(database, "s", name, columns: Self.columnVariants.randomElement(using: &random)!)
                        table.kind = [RelationKind.table, .view].randomElement(using: &random)!
                        table.governable = Bool.random(using: &random)
                        tables.append(table)
                    }
                }
                tables.shuffle(using: &random)

                let plan = try DataSourceSyncPlan(
                    tables: tables, columns: { (index) throws(StoreError) in try ColumnListText.encode(tables[index].columnsByPosition) },
                    stored: model.filter { scanned.contains($0.key.database) })
                let summary = try store.syncDataSources(connectionKey: "w", scannedDatabases: scanned, tables: tables)
                #expect(summary == plan.summary(connectionKey: "w", tables: tables))

                for index in plan.added {
                    let table = tables[index]
                    model[TableKey(table)] = .init(
                        id: nextID, name: "w.\(table.database).s.\(table.table)", enabled: true, kind: table.kind,
                        governable: table.governable, columns: try ColumnListText.encode(table.columnsByPosition))
                    nextID += 1
                }
                for update in plan.updated {
                    model[TableKey(tables[update.index])]?.enabled = true
                    model[TableKey(tables[update.index])]?.columns = try ColumnListText.encode(tables[update.index].columnsByPosition)
                    model[TableKey(tables[update.index])]?.kind = tables[update.index].kind
                    model[TableKey(tables[update.index])]?.governable = update.governable
                }
                for key in model.keys where plan.disabled.contains(where: { $0.id == model[key]!.id }) {
                    model[key]?.enabled = false
                }
                let listed = try store.listDataSources(DataSourceFilter(connectionKey: "w"), page: PageRequest(size: 1000))
                #expect(Dictionary(uniqueKeysWithValues: listed.items.map { ($0.name, $0.state == .enabled) })
                    == Dictionary(uniqueKeysWithValues: model.values.map { ($0.name, $0.enabled) }))
                #expect(Dictionary(uniqueKeysWithValues: listed.items.map { ($0.name, $0.columns) })
                    == Dictionary(uniqueKeysWithValues: try model.values.map { ($0.name, try ColumnListText.decode($0.columns)) }))
                #expect(Dictionary(uniqueKeysWithValues: listed.items.map { ($0.name, "\($0.kind.map(\.rawValue) ?? "-") \($0.governable)") })
                    == Dictionary(uniqueKeysWithValues: model.values.map { ($0.name, "\($0.kind.map(\.rawValue) ?? "-") \($0.governable)") }))
            }
        }
    }
}

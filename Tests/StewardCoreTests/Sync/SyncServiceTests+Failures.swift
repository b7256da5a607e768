import StewardModel
import Foundation
import StewardCore
import StewardPostgres
import StewardStore
import StewardWire
import Testing

/// Progress events, and what a database that cannot be scanned leaves behind.
extension SyncServiceTests {
    // MARK: Progress and failures

    @Test("One progress event per governed database, in the connection's order, each scanned with the connection's password")
    func progressInOrder() async throws {
        try connection("wh", governed: ["sales", "hr", "ops"])
        scanner.set("sales", [Self.orders, Self.customers])
        scanner.set("hr", [Self.staff])
        // ops: no tables at all.
        let progress = ProgressRecorder()
        let outcome = try await sync("wh", progress: progress)
        #expect(progress.recorded == ["scanned sales 2", "scanned hr 1", "scanned ops 0"])
        #expect(
            scanner.recorded == ["sales", "hr", "ops"].map { ScriptedTableScanner.Call(database: $0, connection: "wh", password: "pw-wh") })
        #expect(outcome.notScanned.isEmpty)
        #expect(
            outcome.summary
                == DataSourceSyncSummary(
                    added: ["wh.hr.hr.staff", "wh.sales.public.customers", "wh.sales.public.orders"], updated: [], disabled: [],
                    unchanged: 0))

        let stored = try dataSources("wh")
        #expect(Set(stored.keys) == ["wh.hr.hr.staff", "wh.sales.public.customers", "wh.sales.public.orders"])
        let orders = try #require(stored["wh.sales.public.orders"])
        #expect(orders.connectionKey == "wh" && orders.database == "sales" && orders.schema == "public" && orders.table == "orders")
        #expect(orders.state == .enabled)
        #expect(orders.columns == Self.orders.columns)
        #expect(orders.createdAt == orders.updatedAt)
        #expect(stored["wh.hr.hr.staff"]?.columns == Self.staff.columns)
        #expect(try store.dataSource(name: "wh.sales.public.customers") == stored["wh.sales.public.customers"])
    }

    @Test("A database that cannot be scanned is reported (event and notScanned) and its data sources are left exactly as they were")
    func failedDatabaseKeptAsItWas() async throws {
        try connection("wh", governed: ["sales", "hr", "ops"])
        scanner.set("sales", [Self.orders, Self.customers])
        scanner.set("hr", [Self.staff])
        scanner.set("ops", [Self.logs])
        _ = try await sync("wh")
        let before = try dataSources("wh")
        #expect(before.count == 4)

        // hr is down, and sales lost a table.
        scanner.fail("hr", DomainError(.unavailable, "hr is down"))
        scanner.set("sales", [Self.orders])
        let progress = ProgressRecorder()
        let outcome = try await sync("wh", progress: progress)
        #expect(progress.recorded == ["scanned sales 1", "failed hr UNAVAILABLE hr is down", "scanned ops 1"])
        #expect(outcome.notScanned == ["hr"])
        #expect(outcome.summary == DataSourceSyncSummary(disabled: ["wh.sales.public.customers"], unchanged: 2))
        let after = try dataSources("wh")
        // hr's data source was not disabled, nor touched at all.
        #expect(after["wh.hr.hr.staff"] == before["wh.hr.hr.staff"])
        #expect(after["wh.hr.hr.staff"]?.state == .enabled)
        #expect(after["wh.sales.public.customers"]?.state == .disabled)
        #expect(after["wh.sales.public.orders"] == before["wh.sales.public.orders"])
        #expect(after["wh.ops.public.logs"] == before["wh.ops.public.logs"])
        // A partial sync is still a successful call.
        #expect(try syncEvents("wh").first?.status == .ok)

        // Once hr answers again without the table, it is DISABLED.
        scanner.set("hr", [])
        let recovered = try await sync("wh")
        #expect(recovered.notScanned.isEmpty)
        #expect(recovered.summary == DataSourceSyncSummary(disabled: ["wh.hr.hr.staff"], unchanged: 2))
        #expect(try dataSources("wh")["wh.hr.hr.staff"]?.state == .disabled)
    }

    @Test("A database taken out of governance has its data sources DISABLED by the next sync, without a scan")
    func ungovernedDatabaseDisabled() async throws {
        try connection("wh", governed: ["sales", "hr"])
        scanner.set("sales", [Self.orders])
        scanner.set("hr", [Self.staff])
        _ = try await sync("wh")
        #expect(try dataSources("wh")["wh.hr.hr.staff"]?.state == .enabled)

        let record = try store.connection(key: "wh")
        var settings = record.settings
        settings.governedDatabases = ["sales"]
        _ = try store.updateConnection(ConnectionUpdate(key: "wh", expectedRevision: record.revision, settings: settings))
        scanner.clearRecorded()
        let progress = ProgressRecorder()
        let outcome = try await sync("wh", progress: progress)
        #expect(progress.recorded == ["scanned sales 1"], "only governed databases are scanned")
        #expect(outcome.summary == DataSourceSyncSummary(disabled: ["wh.hr.hr.staff"], unchanged: 1))
        #expect(try dataSources("wh")["wh.hr.hr.staff"]?.state == .disabled)
    }

    /// A scanner that deactivates the connection while it scans, as another
    /// caller (or daemon) could.
    struct DeactivatingScanner: TableScanner {
        let store: any RegistryStore
        func tables(in database: String, settings: ConnectionSettings, password: String, deadline: Deadline)
            async throws(DomainError) -> [DiscoveredTable]
        {
            do {
                let record = try store.connection(key: settings.displayName)
                if record.state == .active {
                    try store.transitionConnection(
                        key: record.key, expectedRevision: record.revision,
                        change: StateChange(to: .inactive, actor: 0, reason: "deactivated during the scan"))
                }
            } catch {
                throw DomainError(.internalError, "\(error)")
            }
            return [SyncServiceTests.orders]
        }
    }

    @Test("A scan the connection outgrew while it ran is ABORTED and stores nothing")
    func staleScanAborted() async throws {
        try connection("wh", governed: ["sales"])
        let racing = SyncService(store: store, scanner: DeactivatingScanner(store: store))
        let error = await #expect(throws: DomainError.self) {
            _ = try await racing.sync(key: "wh", caller: admin, deadline: .after(milliseconds: 5_000)) { _ in }
        }
        #expect(error?.code == .aborted)
        #expect(error?.message.contains("changed while it was being synced") == true)
        #expect(try dataSources("wh").isEmpty)
    }

    @Test("When no database can be scanned the call fails with the first error's code, and nothing changes")
    func everyDatabaseFails() async throws {
        try connection("wh", governed: ["sales", "hr"])
        scanner.set("sales", [Self.orders])
        scanner.set("hr", [Self.staff])
        _ = try await sync("wh")
        let before = try dataSources("wh")

        scanner.fail("sales", DomainError(.unauthenticated, "password authentication failed for user \"steward\""))
        scanner.fail("hr", DomainError(.unavailable, "hr is down"))
        let progress = ProgressRecorder()
        let error = await syncError("wh", progress: progress)
        #expect(error?.code == .unauthenticated, "\(String(describing: error))")
        #expect(error?.message.contains("password authentication failed for user \"steward\"") == true, "\(String(describing: error))")
        #expect(
            progress.recorded == [
                "failed sales UNAUTHENTICATED password authentication failed for user \"steward\"",
                "failed hr UNAVAILABLE hr is down",
            ])
        #expect(try dataSources("wh") == before)
        #expect(try syncEvents("wh").first?.status == .unauthenticated)
    }
}

import Foundation
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import StewardWire
import Synchronization
import Testing

/// A FAKE `TableScanner`: it answers from a script instead of asking a live
/// PostgreSQL server, so that SyncService's own rules (who may sync, which
/// connections, the order of progress events, what a failed database
/// leaves behind, incremental storage, cancellation) are tested without
/// one. It records every call. The live path is tested elsewhere: the
/// catalog query (`PostgresCatalog.selectableTables`) against real
/// PostgreSQL 16 and 17 in Tests/StewardPostgresTests/SelectableTablesTests.swift,
/// and `LiveTableScanner` through the daemon's socket in
/// Tests/IntegrationTests/SyncEndToEndTests.swift.
final class ScriptedTableScanner: TableScanner {
    struct Call: Hashable, Sendable {
        var database: String
        /// The connection's display name, which these tests set to its key.
        var connection: String
        var password: String
    }

    /// By database: what a scan answers. A database not in the script has no tables.
    private let script = Mutex<[String: Result<[DiscoveredTable], DomainError>]>([:])
    private let calls = Mutex<[Call]>([])

    var recorded: [Call] { calls.withLock { $0 } }

    func clearRecorded() { calls.withLock { $0 = [] } }

    /// `database` answers `tables` (their `database` is set to it).
    func set(_ database: String, _ tables: [DiscoveredTable]) {
        let tables = tables.map { var table = $0; table.database = database; return table }
        script.withLock { $0[database] = .success(tables) }
    }

    /// A scan of `database` fails with `error`.
    func fail(_ database: String, _ error: DomainError) {
        script.withLock { $0[database] = .failure(error) }
    }

    func tables(
        in database: String, settings: ConnectionSettings, password: String, deadline: Deadline
    ) async throws(DomainError) -> [DiscoveredTable] {
        calls.withLock { $0.append(Call(database: database, connection: settings.displayName, password: password)) }
        guard let answer = script.withLock({ $0[database] }) else { return [] }
        return try answer.get()
    }
}

/// Progress events, as text: `scanned <database> <tables>` or
/// `failed <database> <CODE> <message>`; optionally throws from the event
/// numbered `throwAt` (1-based), as the route does when the call ends.
final class ProgressRecorder: Sendable {
    private let events = Mutex<[String]>([])
    let throwAt: Int?
    let error: DomainError

    init(throwAt: Int? = nil, error: DomainError = DomainError(.cancelled, "the sync's call ended")) {
        self.throwAt = throwAt
        self.error = error
    }

    var recorded: [String] { events.withLock { $0 } }

    var closure: @Sendable (SyncService.Event) async throws(DomainError) -> Void {
        { [self] (event) async throws(DomainError) in
            let count = events.withLock { events in
                switch event {
                case .scanned(let database, let tables, let refused):
                    events.append("scanned \(database) \(tables)" + (refused.isEmpty ? "" : " refused \(refused.joined(separator: ", "))"))
                case .failed(let database, let error): events.append("failed \(database) \(error.code.name) \(error.message)")
                }
                return events.count
            }
            if count == throwAt { throw error }
        }
    }
}

/// A clock that moves one second on each reading, so that any write the
/// store makes shows in an `updatedAt`.
final class SteppingClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_750_000_000))

    func read() -> Date {
        current.withLock { date in
            date += 1
            return date
        }
    }
}

@Suite("Sync service (SQLite store, fake table scanner)", .timeLimit(.minutes(2)))
final class SyncServiceTests {
    let directory: String
    let state: StateDirectory
    let scanner = ScriptedTableScanner()
    let service: SyncService
    let admin = Caller.administrator(uid: 0)
    static let syncMethod = "/steward.v1.Connections/Sync"

    init() throws {
        directory = NSTemporaryDirectory() + "steward-sync-\(UUID().uuidString)"
        let clock = SteppingClock()
        state = try StateDirectory.open(at: directory, clock: { clock.read() })
        service = SyncService(store: state.store, scanner: scanner)
    }

    deinit {
        state.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var store: any RegistryStore { state.store }

    // MARK: Helpers

    /// Registers a connection (display name = key, password "pw-<key>")
    /// governing `governed`, and walks it to `target` along legal
    /// transitions, as the store tests do.
    func connection(_ key: String, governed: [String] = ["sales", "hr", "ops"], in target: LifecycleState = .active) throws {
        let settings = ConnectionSettings(
            displayName: key, deploymentType: .selfManaged, host: "\(key).example.internal", port: 5432,
            stateDatabase: "steward_state", governedDatabases: governed, username: "steward", sslMode: .prefer)
        var record = try store.createConnection(key: key, settings: settings, password: Secret("pw-\(key)"), createdBy: 0)
        let path: [LifecycleState] =
            switch target {
            case .registered: []
            case .validated: [.validated]
            case .validationFailed: [.validationFailed]
            case .active: [.validated, .active]
            case .unhealthy: [.validated, .active, .unhealthy]
            case .inactive: [.validated, .active, .inactive]
            }
        for next in path {
            record = try store.transitionConnection(
                key: key, expectedRevision: record.revision, change: StateChange(to: next, actor: 0, reason: "test"))
        }
        #expect(record.state == target)
    }

    /// A table whose columns are `name type` pairs at positions 1, 2, …
    /// (or at the positions given).
    static func table(
        _ schema: String, _ name: String, _ columns: [(String, String)], positions: [Int]? = nil
    ) -> DiscoveredTable {
        let positions = positions ?? Array(1...max(1, columns.count))
        return DiscoveredTable(
            database: "", schema: schema, table: name,
            columns: zip(columns, positions).map { ColumnRecord(name: $0.0.0, type: $0.0.1, position: $0.1) })
    }

    static let orders = table("public", "orders", [("id", "integer"), ("total", "numeric(10,2)")])
    static let customers = table("public", "customers", [("id", "integer"), ("name", "character varying(20)")])
    static let staff = table("hr", "staff", [("id", "bigint"), ("tags", "text[]")])
    static let logs = table("public", "logs", [])

    func sync(_ key: String, caller: Caller? = nil, progress: ProgressRecorder = ProgressRecorder()) async throws(DomainError)
        -> SyncService.Outcome
    {
        try await service.sync(
            key: key, caller: caller ?? admin, deadline: .after(milliseconds: 5_000), progress: progress.closure)
    }

    func syncError(_ key: String, caller: Caller? = nil, progress: ProgressRecorder = ProgressRecorder()) async -> DomainError? {
        do {
            let outcome = try await sync(key, caller: caller, progress: progress)
            Issue.record("the sync of \(key) succeeded: \(outcome.summary)")
            return nil
        } catch {
            return error
        }
    }

    /// The connection's data sources, by name.
    func dataSources(_ key: String) throws -> [String: DataSourceRecord] {
        let page = try store.listDataSources(DataSourceFilter(connectionKey: key), page: PageRequest(size: PageRequest.maximumSize))
        #expect(page.nextPageToken == nil)
        return Dictionary(uniqueKeysWithValues: page.items.map { ($0.name, $0) })
    }

    func syncEvents(_ key: String) throws -> [AuditEvent] {
        try store.listAuditEvents(
            AuditFilter(connectionKey: key, method: Self.syncMethod), page: PageRequest(size: PageRequest.maximumSize)
        ).items
    }

    // MARK: Who may sync, and what

    @Test("Sync needs APPLICATION_ADMIN: others are denied (before the key is even looked up), and each denial is audited")
    func deniedWithoutApplicationAdmin() async throws {
        try connection("sales-db")
        scanner.set("sales", [Self.orders])
        let stranger = Caller(uid: 4242, userName: "stranger")
        let userAdmin = Caller(uid: 4343, userName: "uadmin", permissions: [.userAdmin])
        for caller in [stranger, userAdmin] {
            let progress = ProgressRecorder()
            let error = await syncError("sales-db", caller: caller, progress: progress)
            #expect(error?.code == .permissionDenied, "\(String(describing: error))")
            #expect(error?.message.contains("user \"\(caller.userName ?? "")\"") == true, "\(String(describing: error))")
            #expect(progress.recorded.isEmpty)
        }
        let missing = await syncError("no-such-connection", caller: stranger)
        #expect(missing?.code == .permissionDenied)
        #expect(scanner.recorded.isEmpty, "a denied sync scanned: \(scanner.recorded)")
        #expect(try dataSources("sales-db").isEmpty)

        let events = try syncEvents("sales-db").reversed().map { $0 }
        #expect(events.map(\.uid) == [4242, 4343])
        #expect(events.map(\.userName) == ["stranger", "uadmin"])
        #expect(events.allSatisfy { $0.status == .permissionDenied && $0.target == "sales-db" && $0.method == Self.syncMethod })
        let deniedMissing = try store.listAuditEvents(
            AuditFilter(connectionKey: "no-such-connection"), page: PageRequest()
        ).items
        #expect(deniedMissing.map(\.status) == [.permissionDenied])

        // An administrator's sync is audited too, as OK.
        let outcome = try await sync("sales-db")
        #expect(outcome.summary.added == ["sales-db.sales.public.orders"])
        let allowed = try #require(try syncEvents("sales-db").first)
        #expect(allowed.status == .ok && allowed.uid == 0 && allowed.target == "sales-db" && allowed.connectionKey == "sales-db")
    }

    @Test("Only ACTIVE connections are synced: any other state is FAILED_PRECONDITION, audited, and scans nothing")
    func onlyActive() async throws {
        let states: [LifecycleState] = [.registered, .validated, .validationFailed, .unhealthy, .inactive]
        for state in states {
            let key = "c-\(state.rawValue.lowercased().replacingOccurrences(of: "_", with: "-"))"
            try connection(key, in: state)
            let progress = ProgressRecorder()
            let error = await syncError(key, progress: progress)
            #expect(error?.code == .failedPrecondition, "\(state): \(String(describing: error))")
            #expect(error?.message.contains(state.rawValue) == true, "\(state): \(String(describing: error))")
            #expect(error?.message.contains("ACTIVE") == true, "\(state): \(String(describing: error))")
            #expect(progress.recorded.isEmpty)
            let event = try #require(try syncEvents(key).first)
            #expect(event.status == .failedPrecondition && event.message == error?.message)
        }
        let missing = await syncError("no-such-connection")
        #expect(missing?.code == .notFound, "\(String(describing: missing))")
        #expect(scanner.recorded.isEmpty, "scanned: \(scanner.recorded)")
        #expect(try store.listDataSources(DataSourceFilter(), page: PageRequest()).items.isEmpty)
    }

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

    // MARK: Cancellation

    @Test("A cancellation thrown by the progress closure stops the sync at once, and nothing is stored")
    func cancelledByProgress() async throws {
        try connection("wh", governed: ["sales", "hr", "ops"])
        scanner.set("sales", [Self.orders])
        scanner.set("hr", [Self.staff])
        scanner.set("ops", [Self.logs])

        // At the first event: the later databases are not scanned.
        let first = ProgressRecorder(throwAt: 1)
        let stopped = await syncError("wh", progress: first)
        #expect(stopped?.code == .cancelled, "\(String(describing: stopped))")
        #expect(first.recorded == ["scanned sales 1"])
        #expect(scanner.recorded.map(\.database) == ["sales"])
        #expect(try dataSources("wh").isEmpty)

        // At the last event, once every database was scanned: still nothing stored.
        scanner.clearRecorded()
        let last = ProgressRecorder(throwAt: 3)
        let late = await syncError("wh", progress: last)
        #expect(late?.code == .cancelled, "\(String(describing: late))")
        #expect(last.recorded == ["scanned sales 1", "scanned hr 1", "scanned ops 1"])
        #expect(scanner.recorded.map(\.database) == ["sales", "hr", "ops"])
        #expect(try dataSources("wh").isEmpty)

        // A stored registry is left as it was by a cancelled sync that would have changed it.
        _ = try await sync("wh")
        let before = try dataSources("wh")
        scanner.set("sales", [Self.customers])
        scanner.set("ops", [])
        let changed = ProgressRecorder(throwAt: 3)
        #expect(await syncError("wh", progress: changed)?.code == .cancelled)
        #expect(try dataSources("wh") == before)

        // Cancelled while a database reports a failure, too.
        scanner.fail("sales", DomainError(.unavailable, "down"))
        let onFailure = ProgressRecorder(throwAt: 1)
        #expect(await syncError("wh", progress: onFailure)?.code == .cancelled)
        #expect(onFailure.recorded == ["failed sales UNAVAILABLE down"])
        #expect(try dataSources("wh") == before)
    }

    @Test("A scan that ends CANCELLED (the call's end reaching the scanner) stops the sync; it is not reported as a failed database")
    func cancelledInScan() async throws {
        try connection("wh", governed: ["sales", "hr", "ops"])
        scanner.set("sales", [Self.orders])
        scanner.fail("hr", DomainError(.cancelled, "cancelled"))
        scanner.set("ops", [Self.logs])
        let progress = ProgressRecorder()
        let error = await syncError("wh", progress: progress)
        #expect(error?.code == .cancelled, "\(String(describing: error))")
        #expect(progress.recorded == ["scanned sales 1"])
        #expect(scanner.recorded.map(\.database) == ["sales", "hr"])
        #expect(try dataSources("wh").isEmpty)
    }
}

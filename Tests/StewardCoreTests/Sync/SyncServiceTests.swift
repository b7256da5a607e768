import Foundation
import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import StewardTestSupport
import StewardWire
import Testing

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
        let record = try store.createConnection(
            key: key, settings: ConnectionWalk.settings(key: key, governed: governed), password: Secret("pw-\(key)"), createdBy: 0,
            walkedTo: target)
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
}

import ArgumentParser
import Foundation
import StewardCore
import StewardModel
import StewardPostgres
import StewardServer
import StewardStore
import StewardWire

/// Times object sync at catalog scale on a real PostgreSQL (17 by default):
/// D databases × S schemas × T tables × C columns (by default the issue's
/// 10 × 10 × 1,000 × 5: 100,000 tables), beside the bare catalog query
/// measured in the same run (each of the two, and the first sync, the
/// fastest of `--passes`; a change's cost the median over `--change-pairs`
/// pairs of syncs). The databases are built by the bench, owned by
/// its role, and kept for the next run (building 100,000 tables takes
/// minutes): a database whose comment names the same shape is reused.
///
/// The sync runs in this process as stewardd runs it (SyncService over a
/// SQLite registry in a fresh state directory, LiveTableScanner on a
/// PostgresExecutor), so the peak RSS measured is the sync's.
struct SyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Time the first, a no-change and a 1%-changed sync of 100,000 tables, beside the bare catalog query.")

    @OptionGroup var target: PostgresTarget

    @Option(help: "Databases to sync.")
    var databases = 10

    @Option(help: "Schemas per database.")
    var schemas = 10

    @Option(help: "Tables per schema.")
    var tables = 1_000

    @Option(help: "Columns per table.")
    var columns = 5

    @Option(help: "Percent of the schemas (so of the tables) whose columns the changed sync finds renamed.")
    var changePercent = 1.0

    @Option(help: "Passes of each measurement: the fastest of each counts (this machine's speed drifts by more than the targets' margins between passes).")
    var passes = 3

    @Option(help: "No-change and changed syncs, in pairs: a change's cost is the median over the pairs of the changed sync less the no-change sync just before it. A 1% change costs tens of milliseconds, within one pair's noise; more pairs than --passes steady the median.")
    var changePairs = 7

    static let role = "steward_bench_sync"
    static let key = "bench"

    func validate() throws {
        guard databases > 0, schemas > 0, tables > 0, columns > 0, passes > 1, changePairs > 0, changePercent > 0,
            changePercent <= 100
        else {
            throw ValidationError("every count must be positive, --passes at least 2, and --change-percent at most 100")
        }
    }

    func run() async throws {
        #if DEBUG
        print("note: this is a debug build; figures are only meaningful with -c release\n")
        #endif
        // The sync runs here as in stewardd, so with the daemon's allocator settings.
        GlibcMalloc.configureForDaemon()
        let admin = try target.parameters()
        let executor = PostgresExecutor()
        let password = "bench-\(UInt64.random(in: 0...UInt64.max))"
        let shape = SyncBenchDatabases(schemas: schemas, tables: tables, columns: columns)
        let names = (1...databases).map { shape.databaseName($0) }
        let buildStarted = Date()
        let built = try await executor.run { () throws(PostgresError) -> Int in
            try shape.prepare(names, role: Self.role, password: password, admin: admin)
        }
        let total = databases * schemas * tables
        print("""
            \(databases) databases × \(schemas) schemas × \(tables) tables × \(columns) columns = \(total) tables \
            (\(built) built in \(String(format: "%.1f", Date().timeIntervalSince(buildStarted))) s, \
            \(databases - built) reused)
            """)
        var asRole = admin
        asRole.user = Self.role
        asRole.password = password

        // Floor: the bare catalog query (every relation with its columns,
        // what sync used to read) of every database, one connection each.
        let roleParameters = asRole
        let catalogQuery = {
            try await Self.timed {
                for name in names {
                    var chosen = roleParameters
                    chosen.database = name
                    let parameters = chosen
                    _ = try await executor.run { () throws(PostgresError) -> Int in
                        let connection = try PostgresConnection.connect(parameters, deadline: .after(milliseconds: 60_000))
                        defer { connection.close() }
                        return try PostgresCatalog.relations(on: connection, deadline: .after(milliseconds: 600_000)).count
                    }
                }
            }
        }
        let settings = ConnectionSettings(
            displayName: "bench", deploymentType: .selfManaged, host: admin.host, port: admin.port,
            stateDatabase: "postgres", governedDatabases: names, username: Self.role, sslMode: .prefer)
        // Each measurement `passes` times, the fastest compared: on a shared
        // machine one pass of any of them can be slowed by other work. The
        // first syncs after the first go into a fresh registry each, made
        // once the one before is closed, after a floor pass each, so that
        // floor and first sync are measured alternately.
        var floors = [try await catalogQuery()]
        var firsts: [SyncBenchRegistry.Measured] = []
        var noChanges: [SyncBenchRegistry.Measured] = []
        var changes: [(measured: SyncBenchRegistry.Measured, renamed: Int)] = []
        let changedSchemas = max(1, Int((Double(databases * schemas) * changePercent / 100).rounded()))
        // The registry and its service end with this closure, as a
        // daemon's would: the first syncs after it start from what is left.
        try await { () async throws in
            let registry = try SyncBenchRegistry.open(settings: settings, password: password)
            let service = SyncService(store: registry.store, scanner: LiveTableScanner(executor: executor))
            defer { registry.close() }
            firsts.append(try await registry.measure(service))
            for pass in 0..<changePairs {
                noChanges.append(try await registry.measure(service))
                // Renamed, then back again: each pass changes the same tables.
                let renamed = try await executor.run { () throws(PostgresError) -> Int in
                    try shape.renameFirstColumns(
                        schemas: changedSchemas, of: names, back: pass % 2 == 1, role: Self.role, admin: admin)
                }
                changes.append((try await registry.measure(service), renamed))
            }
        }()
        for _ in 1..<passes {
            floors.append(try await catalogQuery())
            let again = try SyncBenchRegistry.open(settings: settings, password: password)
            defer { again.close() }
            firsts.append(try await again.measure(SyncService(store: again.store, scanner: LiveTableScanner(executor: executor))))
        }
        let floor = floors.min() ?? 0
        let first = firsts.min { $0.seconds < $1.seconds } ?? firsts[0]
        let noChange = noChanges.min { $0.seconds < $1.seconds } ?? noChanges[0]
        let changed = changes.map(\.measured).min { $0.seconds < $1.seconds } ?? changes[0].measured
        let renamed = changes.first?.renamed ?? 0

        var problems: [String] = []
        for first in firsts where first.summary.added != total {
            problems.append("a first sync added \(first.summary.added) of \(total)")
        }
        for noChange in noChanges where !noChange.summary.changedNothing || noChange.summary.unchanged != total {
            problems.append("a no-change sync changed something or counted \(noChange.summary.unchanged) unchanged")
        }
        for (changed, renamed) in changes
        where changed.summary.updated != renamed || changed.summary.added != 0 || changed.summary.disabled != 0 {
            problems.append("a changed sync updated \(changed.summary.updated) of \(renamed) changed tables")
        }

        // What the change costs: each changed sync against the no-change
        // sync just before it (the median of those differences), so that
        // the machine's drift between passes cancels out.
        let differences = zip(changes, noChanges).map { $0.measured.seconds - $1.seconds }
        let extra = (differences.median ?? 0) / max(first.seconds, 0.001) * 100
        let percent = Double(renamed) / Double(total) * 100
        func row(_ name: String, _ seconds: Double, _ rss: Double, _ target: String, _ pass: Bool) -> String {
            name.padding(toLength: 22, withPad: " ", startingAt: 0)
                + String(format: "%8.2f s  %5.2f× floor  %6.0f MiB  ", seconds, seconds / floor, rss)
                + "\(target)  \(pass ? "PASS" : "FAIL")"
        }
        let ofOneRegistry = ([firsts[0].peakMiB] + noChanges.map(\.peakMiB) + changes.map(\.measured.peakMiB)).max() ?? 0
        let peak = max(ofOneRegistry, firsts.map(\.peakMiB).max() ?? 0)
        func all(_ values: [Double]) -> String { values.map { String(format: "%.2f", $0) }.joined(separator: ", ") + " s" }
        print("""
                                       time     vs floor   peak RSS  target
            floor: catalog query  \(String(format: "%8.2f s", floor))  (every relation with its columns, \(databases) databases; fastest of \(all(floors)))
            \(row("first sync", first.seconds, first.peakMiB, "≤ 1.30× floor", first.seconds <= 1.3 * floor))  (fastest of \(all(firsts.map(\.seconds))))
            \(row("no-change sync", noChange.seconds, noChange.peakMiB, "≤ 2 s (issue's shape)", noChange.seconds <= 2))  (fastest of \(all(noChanges.map(\.seconds))))
            \(row("", noChange.seconds, noChange.peakMiB, "≤ 0.43× floor (2 s of 4.7 s)", noChange.seconds <= 0.43 * floor))
            \(row("\(String(format: "%.1f", percent))% changed sync", changed.seconds, changed.peakMiB, "extra ≈ \(String(format: "%.1f", percent))% of first: \(String(format: "%.1f", extra))% (≤ \(String(format: "%.0f", 3 * percent))%; median change over the no-change before it)", extra <= 3 * percent))  (fastest of \(all(changes.map(\.measured.seconds))))
            peak RSS of the syncs: \(String(format: "%.0f", peak)) MiB  target ≤ 150 MiB  \(peak <= 150 ? "PASS" : "FAIL")  (one registry's first, no-change and changed syncs: \(String(format: "%.0f", ofOneRegistry)) MiB; first syncs into fresh registries after it: \(firsts.dropFirst().map { String(format: "%.0f", $0.peakMiB) }.joined(separator: ", ")) MiB)
            (SyncService in this process over a fresh SQLite registry; the floor reads the databases in turn)
            """)
        if !problems.isEmpty {
            print("FAILED: " + problems.joined(separator: "; "))
            throw ExitCode.failure
        }
    }

    static func timed(_ body: () async throws -> Void) async rethrows -> Double {
        let started = Date()
        try await body()
        return Date().timeIntervalSince(started)
    }
}

/// The registry the bench syncs into: a SQLite store in a fresh state
/// directory, with the connection ACTIVE (walked there as a validation and
/// a completed setup would take it).
struct SyncBenchRegistry {
    typealias Measured = (seconds: Double, peakMiB: Double, summary: Counts)

    /// What a sync's summary counts. Only the counts are kept: a first
    /// sync's summary names every table (100,000 strings, about 10 MiB),
    /// and holding those would count against the syncs after it.
    struct Counts {
        var added = 0
        var updated = 0
        var disabled = 0
        var unchanged = 0

        init(_ summary: DataSourceSyncSummary) {
            (added, updated, disabled, unchanged) =
                (summary.added.count, summary.updated.count, summary.disabled.count, summary.unchanged)
        }

        var changedNothing: Bool { added == 0 && updated == 0 && disabled == 0 }
    }
    let state: StateDirectory
    let directory: String
    var store: any RegistryStore { state.store }

    static func open(settings: ConnectionSettings, password: String) throws -> SyncBenchRegistry {
        var template = Array("/tmp/stw-sync-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw SystemCallError("mkdtemp", errno: errno) }
        let directory = String(cString: created)
        let state = try StateDirectory.open(at: directory + "/state")
        var record = try state.store.createConnection(
            key: SyncBench.key, settings: settings, password: Secret(password), createdBy: 0)
        for next in [LifecycleState.validated, .active] {
            record = try state.store.transitionConnection(
                key: SyncBench.key, expectedRevision: record.revision, change: StateChange(to: next, actor: 0, reason: "bench"))
        }
        return SyncBenchRegistry(state: state, directory: directory)
    }

    func close() {
        state.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// One sync, with its time and the peak RSS while it ran.
    func measure(_ service: SyncService) async throws -> Measured {
        PeakMemory.reset()
        let call = AuditedCall(
            caller: .administrator(uid: 0), method: "/steward.v1.Connections/Sync", target: SyncBench.key,
            connectionKey: SyncBench.key)
        let started = Date()
        let outcome = try await service.sync(key: SyncBench.key, call: call, deadline: .after(milliseconds: 600_000)) { _ in }
        let seconds = Date().timeIntervalSince(started)
        // As stewardd's Sync route does after every sync (there, off the call's path).
        GlibcMalloc.trim()
        if !outcome.notScanned.isEmpty { throw ValidationError("not scanned: \(outcome.notScanned)") }
        return (seconds, PeakMemory.peakMiB(), Counts(outcome.summary))
    }
}

/// The process's peak resident set: Linux keeps it as VmHWM and resets it
/// to the current RSS when "5" is written to /proc/self/clear_refs.
enum PeakMemory {
    static func reset() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    static func peakMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return .nan }
        return kilobytes / 1024
    }
}

import ArgumentParser
import Foundation
import StewardModel
import StewardPostgres
import StewardStore

/// Times the registry store's bulk writes, which hold the store (one write
/// transaction, and in shared mode the connection's row lock) for as long as
/// they run: a first object sync, a sync that finds nothing new, and a
/// mapping import.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Time the registry store's bulk writes (sync, re-sync, mapping import) on SQLite or PostgreSQL.",
        discussion: """
            sqlite: a fresh store in a temporary directory. postgres: a scratch database, created and \
            dropped, on the server named by --url or else by the STEWARD_<SERVER>_* environment \
            (eval "$(bash scripts/postgres-servers.sh env)").
            """)

    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case sqlite, postgres
    }

    @Option(help: "The store: sqlite or postgres.")
    var backend = Backend.sqlite

    @Option(help: "PostgreSQL server as a URL or libpq keyword/value string (its database is used only to create the scratch one).")
    var url: String?

    @OptionGroup var target: PostgresTarget

    @Option(help: "Tables found by the sync.")
    var tables = 10_000

    @Option(help: "Columns per table.")
    var columns = 20

    @Option(help: "Mapping rows imported (one new user each).")
    var rows = 10_000

    func validate() throws {
        guard tables > 0, columns >= 0, rows > 0 else { throw ValidationError("sizes must be positive") }
    }

    func run() async throws {
        #if DEBUG
        print("note: this is a debug build; figures are only meaningful with -c release\n")
        #endif
        switch backend {
        case .sqlite:
            var template = Array("/tmp/stw-bench-XXXXXX".utf8CString)
            guard let created = mkdtemp(&template) else { throw ExitCode(1) }
            let directory = String(cString: created)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let store = try SQLiteRegistryStore(path: directory + "/registry.sqlite", key: .random())
            try measure(store, bulkUsers: nil)
        case .postgres:
            var server = try url.map { try ConnectionParameters.parse($0) } ?? target.parameters()
            let scratch = "steward_bench_\(getpid())_\(Int(Date().timeIntervalSince1970))"
            let admin = try PostgresConnection.connect(server, deadline: .after(milliseconds: 10_000))
            defer { admin.close() }
            _ = try admin.query("CREATE DATABASE \"\(scratch)\"", deadline: .after(milliseconds: 60_000))
            defer { _ = try? admin.query("DROP DATABASE IF EXISTS \"\(scratch)\" WITH (FORCE)", deadline: .after(milliseconds: 60_000)) }
            server.database = scratch
            let store = try PostgresRegistryStore(parameters: server, key: .random(), statementTimeoutMilliseconds: 600_000)
            defer { store.close() }
            let setup = try PostgresConnection.connect(server, deadline: .after(milliseconds: 10_000))
            defer { setup.close() }
            try measure(store) { count in
                // Users straight into the registry: setup, not measured.
                _ = try setup.query(
                    """
                    INSERT INTO steward_registry.users (name, uid, created_at)
                    SELECT 'user' || n, 100000 + n, 0 FROM generate_series(0, $1::int - 1) AS n
                    """, [String(count)], deadline: .after(milliseconds: 600_000))
            }
        }
    }

    func measure(_ store: any RegistryStore, bulkUsers: ((Int) throws -> Void)?) throws {
        let settings = ConnectionSettings(
            displayName: "c0", deploymentType: .selfManaged, host: "db0.example.internal", port: 5432,
            stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward", sslMode: .prefer)
        try store.createConnection(key: "c0", settings: settings, password: Secret("pw"), createdBy: 0)
        let found = (0..<tables).map { index in
            DiscoveredTable(
                database: "sales", schema: "schema\(index % 10)", table: "table_\(index)",
                columns: (0..<columns).map { ColumnRecord(name: "column_\($0)", type: "character varying(64)", position: $0 + 1) })
        }
        func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
            let start = Date()
            let value = try body()
            return (value, Date().timeIntervalSince(start))
        }
        func seconds(_ value: Double) -> String { String(format: "%8.3f s", value) }

        print("backend: \(store.backend); sync of \(tables) tables × \(columns) columns; import of \(rows) rows")
        let (first, firstSeconds) = try timed {
            try store.syncDataSources(connectionKey: "c0", scannedDatabases: ["sales"], tables: found)
        }
        guard first.added.count == tables else { throw ValidationError("first sync added \(first.added.count)") }
        print("first sync          \(seconds(firstSeconds))   added \(first.added.count)")
        let (again, againSeconds) = try timed {
            try store.syncDataSources(connectionKey: "c0", scannedDatabases: ["sales"], tables: found)
        }
        guard again.unchanged == tables else { throw ValidationError("re-sync left \(again.unchanged) unchanged") }
        print("no-change re-sync   \(seconds(againSeconds))   unchanged \(again.unchanged)")
        // 1% of the tables change a column, 1% are gone.
        var changed = found
        let step = 100
        for index in stride(from: 0, to: changed.count, by: step) where !changed[index].columns.isEmpty {
            changed[index].columns[0].type = "text"
        }
        changed = changed.enumerated().filter { $0.offset % step != 1 }.map(\.element)
        let (delta, deltaSeconds) = try timed {
            try store.syncDataSources(connectionKey: "c0", scannedDatabases: ["sales"], tables: changed)
        }
        print("1% changed/gone     \(seconds(deltaSeconds))   updated \(delta.updated.count), disabled \(delta.disabled.count)")

        let (_, usersSeconds) = try timed {
            if let bulkUsers {
                try bulkUsers(rows)
            } else {
                for index in 0..<rows { try store.createUser(name: "user\(index)", uid: UInt32(100_000 + index), permissions: []) }
            }
        }
        print("(setup: \(rows) users in \(String(format: "%.1f", usersSeconds)) s)")
        let mappings = (0..<rows).map {
            IdentityMapping(userName: "user\($0)", connectionKey: nil, identity: .postgresUsername("role_user_\($0)"))
        }
        let (_, dryRunSeconds) = try timed { try store.importMappings(mappings, dryRun: true) }
        print("import, dry run     \(seconds(dryRunSeconds))")
        let (imported, importSeconds) = try timed { try store.importMappings(mappings, dryRun: false) }
        print("import              \(seconds(importSeconds))   \(imported) rows (\(Int(Double(imported) / importSeconds)) rows/s)")
    }
}

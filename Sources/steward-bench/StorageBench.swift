import ArgumentParser
import Foundation
import StewardModel
import StewardPostgres
import StewardStore

/// Issue 13 item 6: the registry's storage is linear in users + connections,
/// so the writes that once rewrote a row per (user, connection) pair cost the
/// same in a large registry as in a small one. Times Users.Create, SetMapping
/// (a default and a connection mapping) and Register (the store's part of
/// Connections.Register) in a small registry and in a large one, on the same
/// backend in the same run, and prints each ratio beside its target.
struct StorageBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Users.Create, SetMapping and Register at 10 connections and at 1,000 connections × 10,000 users.",
        discussion: """
            Each figure is the median of --samples calls through the store, on a registry built through \
            the store's own API (not timed). sqlite: fresh stores in a temporary directory. postgres: a \
            scratch database per registry, created and dropped, on the server named by --url or else by \
            the STEWARD_<SERVER>_* environment (eval "$(bash scripts/postgres-servers.sh env)"). \
            Target: every large/small ratio ≤ 2.0.
            """)

    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case sqlite, postgres, both
    }

    @Option(help: "The store: sqlite, postgres or both.")
    var backend = Backend.sqlite

    @Option(help: "PostgreSQL server as a URL or libpq keyword/value string (used only to create scratch databases).")
    var url: String?

    @OptionGroup var target: PostgresTarget

    @Option(help: "Connections in the small registry.")
    var smallConnections = 10

    @Option(help: "Users in the small registry.")
    var smallUsers = 100

    @Option(help: "Connections in the large registry.")
    var connections = 1_000

    @Option(help: "Users in the large registry.")
    var users = 10_000

    @Option(help: "Calls timed per operation and registry (the median is reported).")
    var samples = 100

    static let ratioTarget = 2.0

    func validate() throws {
        guard smallConnections > 0, smallUsers >= samples, connections > 0, users >= samples, samples > 0 else {
            throw ValidationError("sizes must be positive, and each registry needs at least --samples users")
        }
    }

    func run() async throws {
        #if DEBUG
        print("note: this is a debug build; figures are only meaningful with -c release\n")
        #endif
        var failed = false
        if backend != .postgres { failed = try compare("sqlite") { try withSQLiteStore($0) } || failed }
        if backend != .sqlite { failed = try compare("postgresql") { try withPostgresStore($0) } || failed }
        if failed { throw ExitCode(1) }
    }

    /// Builds both registries on one backend, then times each operation on
    /// the two in turn, call by call, so that a busy moment of the machine
    /// falls on both alike; prints the table and says whether a target failed.
    func compare(_ name: String, _ open: @escaping ((any RegistryStore) throws -> Void) throws -> Void) throws -> Bool {
        var figures: [String: (small: Double, large: Double)] = [:]
        try open { small in
            try open { large in
                try build(small, connections: smallConnections, users: smallUsers)
                try build(large, connections: connections, users: users)
                figures = try measure(small: small, large: large)
            }
        }
        print("""
            \(name): median of \(samples) calls, taken alternately on the two registries; small: \(smallConnections) \
            connections × \(smallUsers) users, large: \(connections) connections × \(users) users
            operation                 small (ms)   large (ms)   ratio   target ≤ \(Self.ratioTarget)
            """)
        var failed = false
        for operation in Self.operations {
            let (small, large) = figures[operation, default: (0, 0)]
            let ratio = large / max(small, 1e-9)
            let pass = ratio <= Self.ratioTarget
            failed = failed || !pass
            print(
                operation.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + String(format: "  %10.3f   %10.3f   %5.2f   ", small, large, ratio) + (pass ? "PASS" : "FAIL"))
        }
        print("")
        return failed
    }

    static let operations = ["Users.Create", "SetMapping (default)", "SetMapping (connection)", "Register"]

    /// A registry of `connections` × `users`, through the store's API (not timed).
    func build(_ store: any RegistryStore, connections: Int, users: Int) throws {
        let setup = ContinuousClock.now
        for index in 0..<connections { try register(store, key: "c\(index)") }
        for index in 0..<users {
            try store.createUser(name: "user\(index)", uid: UInt32(100_000 + index), permissions: [])
        }
        print("(\(store.backend): \(connections) connections × \(users) users built in \(setup.duration(to: .now)))")
    }

    /// Each operation's median, in milliseconds, in the small and the large registry.
    func measure(small: any RegistryStore, large: any RegistryStore) throws -> [String: (small: Double, large: Double)] {
        let registries = [(small, smallConnections, smallUsers), (large, connections, users)]
        var figures: [String: (small: Double, large: Double)] = [:]
        func timed(_ operation: String, _ call: (any RegistryStore, _ connections: Int, _ users: Int, _ sample: Int) throws -> Void)
            throws
        {
            var times: [[Double]] = [[], []]
            for sample in 0..<samples {
                for (index, (store, connections, users)) in registries.enumerated() {
                    let start = ContinuousClock.now
                    try call(store, connections, users, sample)
                    let elapsed = start.duration(to: .now).components
                    times[index].append(Double(elapsed.seconds) * 1_000 + Double(elapsed.attoseconds) / 1e15)
                }
            }
            let medians = times.map { $0.median ?? 0 }
            figures[operation] = (medians[0], medians[1])
        }
        try timed("Users.Create") { store, _, _, sample in
            try store.createUser(name: "new_user\(sample)", uid: UInt32(1_000_000 + sample), permissions: [])
        }
        // Spread over the registry: users far apart, every connection in turn.
        try timed("SetMapping (default)") { store, _, users, sample in
            try store.setMapping(
                IdentityMapping(
                    userName: "user\(sample * (users / samples))", connectionKey: nil,
                    identity: .postgresUsername("pg_default_\(sample)")))
        }
        try timed("SetMapping (connection)") { store, connections, users, sample in
            try store.setMapping(
                IdentityMapping(
                    userName: "user\(sample * (users / samples))", connectionKey: "c\(sample % connections)",
                    identity: .postgresUsername("pg_on_c_\(sample)")))
        }
        try timed("Register") { store, _, _, sample in try register(store, key: "new_c\(sample)") }
        return figures
    }

    func register(_ store: any RegistryStore, key: String) throws {
        let settings = ConnectionSettings(
            displayName: key, deploymentType: .selfManaged, host: "\(key).example.internal", port: 5432,
            stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward", sslMode: .prefer)
        try store.createConnection(key: key, settings: settings, password: Secret("pw"), createdBy: 0)
    }

    func withSQLiteStore(_ body: (any RegistryStore) throws -> Void) throws {
        var template = Array("/tmp/stw-storage-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw ExitCode(1) }
        let directory = String(cString: created)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteRegistryStore(path: directory + "/registry.sqlite", key: .random())
        defer { store.close() }
        try body(store)
    }

    func withPostgresStore(_ body: (any RegistryStore) throws -> Void) throws {
        var server = try url.map { try ConnectionParameters.parse($0) } ?? target.parameters()
        let scratch = "steward_storage_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try PostgresConnection.connect(server, deadline: .after(milliseconds: 10_000))
        defer { admin.close() }
        _ = try admin.query("CREATE DATABASE \"\(scratch)\"", deadline: .after(milliseconds: 60_000))
        defer { _ = try? admin.query("DROP DATABASE IF EXISTS \"\(scratch)\" WITH (FORCE)", deadline: .after(milliseconds: 60_000)) }
        server.database = scratch
        let store = try PostgresRegistryStore(parameters: server, key: .random(), statementTimeoutMilliseconds: 600_000)
        defer { store.close() }
        try body(store)
    }
}

import ArgumentParser
import Dispatch
import Foundation
import StewardClient
import StewardPostgres
import StewardWire
import Synchronization

/// Shared mode's throughput (issue 13, item 10): real stewardd processes on
/// one PostgreSQL registry, beside one stewardd on embedded SQLite measured
/// in the same run with the same clients.
struct SharedBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shared",
        abstract: "Measure reads per daemon and writes across daemons on a shared PostgreSQL registry, beside embedded SQLite.",
        discussion: """
            Starts --daemons stewardd processes (the stewardd beside this binary) on a scratch \
            registry database, created and dropped, on the server named by the STEWARD_<SERVER>_* \
            environment (eval "$(bash scripts/postgres-servers.sh env)"), and one stewardd on SQLite. \
            reads: Connections.Get and Users.Get against each daemon in turn (each call also looks \
            the caller up), --clients connections × --in-flight calls. writes: Users.Create \
            (new users) against every daemon at once. Each figure is measured --passes times, the \
            daemons (and the SQLite reference) in turn within each pass, and its median counts: \
            this machine's speed drifts by more than the targets' margins between measurements a \
            few seconds apart. Targets: reads ≥ 10,000 calls/s from each daemon (the lowest daemon's \
            median); writes ≥ 1,000 calls/s in aggregate.
            """)

    @OptionGroup var target: PostgresTarget

    @Option(help: "stewardd processes sharing the registry.")
    var daemons = 3

    @Option(help: "Client connections per daemon.")
    var clients = 4

    @Option(help: "Calls in flight per client connection.")
    var inFlight = 16

    @Option(help: "Seconds each measurement lasts.")
    var seconds = 3.0

    @Option(help: "Passes of every measurement; each figure is its median over the passes.")
    var passes = 3

    func validate() throws {
        guard daemons > 0, clients > 0, inFlight > 0, seconds > 0, passes > 0 else {
            throw ValidationError("every count and duration must be positive")
        }
    }

    static let readTarget = 10_000.0
    static let writeTarget = 1_000.0

    func run() async throws {
        #if DEBUG
        print("note: this is a debug build; figures are only meaningful with -c release\n")
        #endif
        var server = try target.parameters()
        let scratch = "steward_bench_shared_\(getpid())_\(Int(Date().timeIntervalSince1970))"
        let admin = try PostgresConnection.connect(server, deadline: .after(milliseconds: 10_000))
        defer { admin.close() }
        _ = try admin.query("CREATE DATABASE \"\(scratch)\"", deadline: .after(milliseconds: 60_000))
        defer { _ = try? admin.query("DROP DATABASE IF EXISTS \"\(scratch)\" WITH (FORCE)", deadline: .after(milliseconds: 60_000)) }
        server.database = scratch

        let directory = try BenchDaemon.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let url = "postgresql://\(server.user)@\(server.host):\(server.port)/\(scratch)?sslmode=disable"
        let environment = ["PGPASSWORD": server.password ?? ""]
        var shared: [BenchDaemon] = []
        defer { shared.forEach { $0.stop() } }
        for index in 0..<daemons {
            if index > 0 {
                // Every daemon of a registry holds its key.
                try FileManager.default.createDirectory(atPath: "\(directory)/d\(index)/state", withIntermediateDirectories: true)
                try FileManager.default.copyItem(
                    atPath: "\(directory)/d0/state/registry.key", toPath: "\(directory)/d\(index)/state/registry.key")
            }
            shared.append(try BenchDaemon(in: "\(directory)/d\(index)", storeURL: url, environment: environment))
        }
        let embedded = try BenchDaemon(in: directory + "/embedded")
        defer { embedded.stop() }
        for daemon in [shared[0], embedded] { try await Self.seed(daemon.socketPath) }

        let calls = LoadCalls()
        var rows: [(String, Double, Double, Double?)] = []
        for call in [calls.connectionGet, calls.userGet] {
            var references: [Double] = []
            var perDaemon = [[Double]](repeating: [], count: shared.count)
            for _ in 0..<passes {
                references.append(try rate(call, on: [embedded.socketPath]))
                for (index, daemon) in shared.enumerated() { perDaemon[index].append(try rate(call, on: [daemon.socketPath])) }
            }
            let medians = perDaemon.map { $0.median ?? 0 }
            rows.append(("\(call.name) calls/s, lowest daemon", medians.min() ?? 0, references.median ?? 0, Self.readTarget))
            print("\(call.name) per daemon, median (passes): " + zip(medians, perDaemon).map { median, passes in
                "\(Self.figure(median)) (\(passes.map(Self.figure).joined(separator: ", ")))"
            }.joined(separator: "; "))
        }
        let createUser = calls.userCreate("shared")
        var writesEmbedded: [Double] = []
        var writesShared: [Double] = []
        for _ in 0..<passes {
            writesEmbedded.append(try rate(createUser, on: [embedded.socketPath]))
            writesShared.append(try rate(createUser, on: shared.map(\.socketPath)))
        }
        print("Users.Create, all \(daemons) daemons (passes): " + writesShared.map(Self.figure).joined(separator: ", "))
        rows.append((
            "Users.Create calls/s, all \(daemons) daemons", writesShared.median ?? 0, writesEmbedded.median ?? 0, Self.writeTarget))

        print(Self.render(rows))
        print("""

            clients: \(clients) connections × \(inFlight) in flight per daemon; \(seconds) s each; \
            every figure the median of \(passes) passes. The reference column is the same call on \
            embedded SQLite in this run, measured in the same passes.
            """)
    }

    /// Calls/s answered OK with `clients` connections × `inFlight` calls to
    /// each socket for `seconds`, from the raw load client (one thread per
    /// socket). Calls that fail do not count; they are printed by status,
    /// and so is a client thread that was itself the bottleneck.
    func rate(_ call: LoadCall, on sockets: [String]) throws -> Double {
        let results = Mutex<[Result<LoadResult, any Error>]>([])
        let threads = sockets.map { socket in
            JoinableThread { [clients, inFlight, seconds] in
                let result = Result {
                    try LoadClient.run(
                        socketPath: socket, connections: clients, threads: 1, pace: .closedLoop(inFlight: inFlight),
                        seconds: seconds, calls: [call], pick: { _, _ in 0 })
                }
                results.withLock { $0.append(result) }
            }
        }
        threads.forEach { $0.join() }
        var total = LoadResult()
        for result in results.withLock({ $0 }) { total.merge(try result.get()) }
        total.seconds = results.withLock { $0 }.compactMap { try? $0.get().seconds }.max() ?? seconds
        let failures = total.statusCounts.filter { $0.key != 0 }.sorted { $0.key < $1.key }
        if !failures.isEmpty {
            print("note: \(call.name) calls failed: " + failures.map { "\(StatusCode(rawValue: $0.key)) \($0.value)" }.joined(separator: ", "))
        }
        if total.clientSaturated {
            print(String(format: "note: a client thread was busy %.0f%% of %@'s run: the figure may be the client's limit",
                         total.busiestThreadCPU * 100, call.name))
        }
        return total.okCallsPerSecond
    }

    /// One connection and one user to read, under the names ``LoadCalls``
    /// reads (a connection's key is its display name).
    static func seed(_ socket: String) async throws {
        let client = try StewardClient.connect(socketPath: socket)
        defer { client.close() }
        var settings = StewardV1.ConnectionSettings()
        settings.deploymentType = .selfManaged
        settings.host = "db.example.internal"
        settings.port = 5432
        settings.stateDatabase = "steward_state"
        settings.governedDatabases = ["sales"]
        settings.username = "steward"
        settings.password = "bench-password"
        settings.sslMode = .require
        var register = StewardV1.RegisterConnectionRequest()
        register.displayName = BenchDaemon.connectionKey
        register.settings = settings
        _ = try await client.call(StewardV1.Connections.register, register)
        var user = StewardV1.CreateUserRequest()
        user.name = BenchDaemon.userName
        user.uid = 199_999
        _ = try await client.call(StewardV1.Users.create, user)
    }

    static func figure(_ value: Double) -> String { String(format: "%.0f", value) }

    static func render(_ rows: [(String, Double, Double, Double?)]) -> String {
        func column(_ text: String, _ width: Int) -> String {
            text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
        }
        let header = column("metric", 40) + column("shared", 10) + column("embedded", 10) + column("ratio", 8) + "target"
        var lines = [header, String(repeating: "-", count: header.count + 16)]
        for (name, shared, embedded, target) in rows {
            var line = column(name, 40) + column(String(format: "%.0f", shared), 10)
                + column(String(format: "%.0f", embedded), 10)
                + column(String(format: "%.2f", embedded == 0 ? 0 : shared / embedded), 8)
            if let target { line += String(format: "≥ %.0f  ", target) + (shared >= target ? "PASS" : "FAIL") }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

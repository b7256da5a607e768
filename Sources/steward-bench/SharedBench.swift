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
            (new users) against every daemon at once. Targets: reads ≥ 10,000 calls/s from each \
            daemon; writes ≥ 1,000 calls/s in aggregate.
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

    func validate() throws {
        guard daemons > 0, clients > 0, inFlight > 0, seconds > 0 else {
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

        var connectionRequest = StewardV1.GetConnectionRequest()
        connectionRequest.key = "bench-conn"
        var userRequest = StewardV1.GetUserRequest()
        userRequest.name = "bench-user"
        let getConnection = BenchCall(StewardV1.Connections.get, connectionRequest)
        let getUser = BenchCall(StewardV1.Users.get, userRequest)
        var rows: [(String, Double, Double, Double?)] = []
        for (name, call) in [("Connections.Get", getConnection), ("Users.Get", getUser)] {
            let reference = try await rate(call, on: [embedded.socketPath])
            var perDaemon: [Double] = []
            for daemon in shared { perDaemon.append(try await rate(call, on: [daemon.socketPath])) }
            rows.append(("\(name) calls/s, lowest daemon", perDaemon.min() ?? 0, reference, Self.readTarget))
            print("\(name) per daemon: " + perDaemon.map { String(format: "%.0f", $0) }.joined(separator: ", "))
        }
        let createUser = BenchCall(StewardV1.Users.create) { (index: Int) in
            var request = StewardV1.CreateUserRequest()
            request.name = "bench-w\(index)"
            request.uid = UInt32(200_000 + index)
            return request
        }
        let writesEmbedded = try await rate(createUser, on: [embedded.socketPath])
        let writesShared = try await rate(createUser, on: shared.map(\.socketPath))
        rows.append(("Users.Create calls/s, all \(daemons) daemons", writesShared, writesEmbedded, Self.writeTarget))

        print(Self.render(rows))
        print("""

            clients: \(clients) connections × \(inFlight) in flight per daemon; \(seconds) s each. \
            The reference column is the same call on embedded SQLite in this run.
            """)
    }

    /// Calls/s with `clients` connections × `inFlight` calls to each socket for `seconds`.
    /// Calls that fail are counted apart and printed; they do not count.
    func rate(_ call: BenchCall, on sockets: [String]) async throws -> Double {
        let connections = try sockets.flatMap { socket in
            try (0..<clients).map { _ in try StewardClient.connect(socketPath: socket) }
        }
        defer { connections.forEach { $0.close() } }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let started = DispatchTime.now().uptimeNanoseconds
        let counter = BenchCounter()
        let firstFailure = FirstFailure()
        let (done, failed) = await withTaskGroup(of: (Int, Int).self) { group in
            for client in connections {
                for _ in 0..<inFlight {
                    group.addTask {
                        var completed = 0
                        var failures = 0
                        while DispatchTime.now().uptimeNanoseconds < deadline {
                            do {
                                try await call.make(client, counter.next())
                                completed += 1
                            } catch {
                                failures += 1
                                firstFailure.note(error)
                            }
                        }
                        return (completed, failures)
                    }
                }
            }
            return await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        if failed > 0 {
            print("note: \(failed) calls failed (\(call.name)); the first: \(firstFailure.text ?? "?")")
        }
        return Double(done) / elapsed
    }

    /// One connection and one user to read.
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
        register.displayName = "bench-conn"
        register.settings = settings
        _ = try await client.call(StewardV1.Connections.register, register)
        var user = StewardV1.CreateUserRequest()
        user.name = "bench-user"
        user.uid = 199_999
        _ = try await client.call(StewardV1.Users.create, user)
    }

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

/// A unary call the bench repeats; `make` gets a number unique in the run.
struct BenchCall: Sendable {
    let name: String
    let make: @Sendable (StewardClient, Int) async throws -> Void

    init<Request: Sendable, Response>(_ method: UnaryMethod<Request, Response>, _ request: Request) {
        name = method.path
        make = { client, _ in _ = try await client.call(method, request) }
    }

    init<Request: Sendable, Response>(_ method: UnaryMethod<Request, Response>, _ request: @escaping @Sendable (Int) -> Request) {
        name = method.path
        make = { client, index in _ = try await client.call(method, request(index)) }
    }
}

/// Numbers unique across one measurement's tasks.
final class BenchCounter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}

/// The first error of a measurement, to print beside the count of failures.
final class FirstFailure: Sendable {
    private let value = Mutex<String?>(nil)
    func note(_ error: any Error) { value.withLock { $0 = $0 ?? "\(error)" } }
    var text: String? { value.withLock { $0 } }
}

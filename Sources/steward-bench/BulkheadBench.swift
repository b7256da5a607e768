import ArgumentParser
import Foundation
import PostgresTestSupport
import StewardCore
import StewardModel
import StewardPostgres

/// Issue 13, item 3, as a figure: how long a validation of a healthy server
/// takes alone and while forty validations hang on a server that stopped
/// answering (a private PostgreSQL 17 frozen with SIGSTOP), with the
/// daemon's bulkheads and with one pool shared by every server (how the
/// daemon ran before them), in one run.
struct BulkheadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulkhead",
        abstract: "Time validations of a healthy server while validations of a frozen one hang, with and without bulkheads.",
        discussion: """
            Needs the servers of scripts/postgres-servers.sh (its env variables): the healthy \
            server is the shared PostgreSQL 17, the hung one a private cluster the bench makes.
            """)

    @Option(help: "Validations hung on the frozen server.")
    var hung = 40

    @Option(help: "Validations of the healthy server run at once while they hang.")
    var healthy = 4

    @Option(help: "Deadline of each hung validation, in milliseconds.")
    var hungDeadline = 10_000

    func run() async throws {
        let cluster = try PrivateCluster.start()
        defer { cluster.destroy() }
        let healthyServer = try TestPostgres.pg17.adminOverTCP()
        let frozenServer = try cluster.admin()
        var rows: [(String, alone: Double, hung: [Double])] = []
        for (name, executor) in [
            ("one shared pool (before)", PostgresExecutor(maxConcurrentJobs: 16, maxJobsPerServer: 16)),
            ("bulkheads (stewardd's)", PostgresExecutor()),
        ] {
            let validator = ConnectionValidator(executor: executor)
            let alone = try await median(of: 5) { try await timeValidation(validator, of: healthyServer) }
            try cluster.freeze()
            let hungCalls = (0..<hung).map { _ in
                Task { try await timeValidation(validator, of: frozenServer, deadline: hungDeadline) }
            }
            // Time for the hung calls to take their slots. A bench measures
            // what a healthy call then meets; nothing here is asserted.
            try await Task.sleep(for: .seconds(1))
            let whileHung = try await withThrowingTaskGroup(of: Double.self) { group in
                for _ in 0..<healthy { group.addTask { try await timeValidation(validator, of: healthyServer) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try cluster.thaw()
            for call in hungCalls { _ = try await call.value }
            rows.append((name, alone, whileHung.sorted()))
        }
        print("validation of a healthy server (ms), alone and with \(hung) validations hung on a frozen one:")
        print(pad("pool", 28) + pad("alone (median)", 16) + pad("hung: median", 14) + pad("hung: worst", 13) + "worst/alone")
        for row in rows {
            let worst = row.hung.last ?? 0
            print(pad(row.0, 28) + pad(format(row.alone), 16) + pad(format(row.hung[row.hung.count / 2]), 14)
                + pad(format(worst), 13) + String(format: "%.1f", worst / max(row.alone, 0.001)))
        }
        let bulkheaded = rows[1]
        let prompt = (bulkheaded.hung.last ?? .infinity) <= 2 * bulkheaded.alone + 250
        print("target: with bulkheads, every healthy validation within 2x its time alone (+250 ms): \(prompt ? "PASS" : "FAIL")")
    }

    /// Milliseconds one full validation took (its verdicts do not matter here).
    private func timeValidation(_ validator: ConnectionValidator, of server: ConnectionParameters, deadline: Int = 30_000)
        async throws -> Double
    {
        let settings = ConnectionSettings(
            displayName: "bench", deploymentType: .selfManaged, host: server.host, port: server.port,
            stateDatabase: "postgres", governedDatabases: ["postgres"], username: server.user, sslMode: .disable)
        let started = DispatchTime.now().uptimeNanoseconds
        _ = await validator.validate(
            key: "bench", settings: settings, password: server.password ?? "", marker: "bench",
            deadline: .after(milliseconds: deadline))
        return Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
    }

    private func median(of runs: Int, _ measure: () async throws -> Double) async throws -> Double {
        var values: [Double] = []
        for _ in 0..<runs { values.append(try await measure()) }
        return values.median ?? 0
    }

    private func format(_ value: Double) -> String { String(format: "%.0f", value) }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

import ArgumentParser
import Foundation
import StewardWire

/// `steward-bench`: measures the RPC stack against a floor measured in the
/// same run, and prints a table. Build it in release mode:
///
///     swift run -c release steward-bench
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward-bench",
        abstract: "Measure Steward and print the figures.",
        subcommands: [
            RPCBench.self, PrivilegesBench.self, ValidateBench.self, PostgresSoakBench.self, ImportBench.self,
            StoreBench.self, EnforceBench.self, DesiredStateBench.self, BulkheadBench.self, MemoryBench.self,
            StorageBench.self, LoadBench.self, SharedBench.self, SyncBench.self, ExecutorBench.self, FloorEcho.self,
        ],
        defaultSubcommand: RPCBench.self)
}

struct RPCBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Measure Steward's RPC latency and throughput beside a raw-socket floor.",
        discussion: """
            ping: Health.Check with one call in flight, over a real Unix socket to the \
            daemon's server (RegistryServer on a fresh SQLite store) in process; Health.Check \
            answers on the I/O queue. Server.Info: the path of every other call (a task, and the \
            caller looked up in the registry). throughput: N connections × W calls in flight for a fixed time. \
            floor: the same length-prefixed request/response over a socketpair, with no \
            protobuf and no Dispatch, measured in the same run.
            """)

    @Option(help: "Sequential calls timed for the ping latency.")
    var pings = 20_000

    @Option(help: "Connections for the throughput run.")
    var connections = 4

    @Option(help: "Calls in flight per connection for the throughput run.")
    var inFlight = 32

    @Option(help: "Seconds each throughput run lasts.")
    var seconds = 3.0

    func validate() throws {
        guard pings > 0, connections > 0, inFlight > 0, seconds > 0 else {
            throw ValidationError("every count and duration must be positive")
        }
    }

    func run() async throws {
        #if DEBUG
        print("note: this is a debug build; figures are only meaningful with -c release\n")
        #endif
        let floorPing = RawFloor.pingLatency(calls: pings)
        let floorThroughput = RawFloor.throughput(connections: connections, inFlight: inFlight, seconds: seconds)

        let server = try BenchServer.start()
        defer { server.stop() }
        let ping = try await StewardLoad.pingLatency(
            socketPath: server.socketPath, calls: pings, method: GrpcHealthV1.Health.check, request: .init())
        let info = try await StewardLoad.pingLatency(
            socketPath: server.socketPath, calls: pings, method: StewardV1.Server.info, request: .init())
        let rawPing = try RawClientLoad.pingLatency(socketPath: server.socketPath, calls: pings)
        let throughput = try await StewardLoad.throughput(
            socketPath: server.socketPath, connections: connections, inFlight: inFlight, seconds: seconds)

        let table = ResultTable(rows: [
            .init("ping p50 (µs), 1 in flight", steward: ping.p50, floor: floorPing.p50, lowerIsBetter: true),
            .init("ping p99 (µs), 1 in flight", steward: ping.p99, floor: floorPing.p99, lowerIsBetter: true),
            .init("ping p50 (µs), daemon only", steward: rawPing.p50, floor: floorPing.p50, lowerIsBetter: true),
            .init("Server.Info p50 (µs), task+lookup", steward: info.p50, floor: floorPing.p50, lowerIsBetter: true),
            .init("throughput (calls/s), \(connections) conn × \(inFlight)", steward: throughput, floor: floorThroughput, lowerIsBetter: false),
        ])
        print(table.render())
        print("""

            targets: ping p50 within 2× of the floor (ratio ≤ 2.0); at least 100,000 calls/s \
            with 4 connections × 32 in flight.
            """)
    }
}

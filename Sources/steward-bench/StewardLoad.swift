import Dispatch
import Foundation
import Logging
import StewardClient
import StewardServer
import StewardWire
import Synchronization

/// An in-process StewardServer on a real Unix socket in a temporary directory.
struct BenchServer {
    let server: StewardServer
    let directory: String

    var socketPath: String { server.socketPath }

    static func start() throws -> BenchServer {
        var template = Array("/tmp/stw-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw SystemCallError("mkdtemp", errno: errno) }
        let directory = String(cString: created)
        var logger = Logger(label: "steward-bench")
        logger.logLevel = .error
        let server = StewardServer(
            configuration: ServerConfiguration(socketPath: directory + "/steward.sock"), logger: logger)
        try server.start()
        return BenchServer(server: server, directory: directory)
    }

    func stop() {
        let server = self.server
        let done = DispatchSemaphore(value: 0)
        Task {
            await server.shutDown()
            done.signal()
        }
        done.wait()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Load through the client library: what an agent using Steward sees.
enum StewardLoad {
    static func pingLatency(socketPath: String, calls: Int) async throws -> LatencySamples {
        let client = try StewardClient.connect(socketPath: socketPath)
        defer { client.close() }
        let request = GrpcHealthV1.HealthCheckRequest()
        for _ in 0..<(calls / 10) { _ = try await client.call(GrpcHealthV1.Health.check, request) }
        var samples = LatencySamples(capacity: calls)
        for _ in 0..<calls {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try await client.call(GrpcHealthV1.Health.check, request)
            samples.add(nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        }
        return samples
    }

    static func throughput(socketPath: String, connections: Int, inFlight: Int, seconds: Double) async throws -> Double {
        let clients = try (0..<connections).map { _ in try StewardClient.connect(socketPath: socketPath) }
        defer { clients.forEach { $0.close() } }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let started = DispatchTime.now().uptimeNanoseconds
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for client in clients {
                for _ in 0..<inFlight {
                    group.addTask {
                        var completed = 0
                        let request = GrpcHealthV1.HealthCheckRequest()
                        while DispatchTime.now().uptimeNanoseconds < deadline {
                            _ = try await client.call(GrpcHealthV1.Health.check, request)
                            completed += 1
                        }
                        return completed
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return Double(total) / elapsed
    }
}

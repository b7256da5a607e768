import Dispatch
import Foundation
import Logging
import StewardClient
import StewardPostgres
import StewardServer
import StewardStore
import StewardWire
import Synchronization

/// The daemon as stewardd builds it (`RegistryServer` over a SQLite store in
/// a fresh state directory), in process, on a real Unix socket.
struct BenchServer {
    let server: StewardServer
    let state: StateDirectory
    let directory: String

    var socketPath: String { server.socketPath }

    static func start() throws -> BenchServer {
        var template = Array("/tmp/stw-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw SystemCallError("mkdtemp", errno: errno) }
        let directory = String(cString: created)
        var logger = Logger(label: "steward-bench")
        logger.logLevel = .error
        let state = try StateDirectory.open(at: directory + "/state")
        let server = RegistryServer.make(
            configuration: ServerConfiguration(socketPath: directory + "/steward.sock"), store: state.store,
            executor: PostgresExecutor(maxConcurrentJobs: 1), logger: logger)
        try server.start()
        return BenchServer(server: server, state: state, directory: directory)
    }

    func stop() {
        let server = self.server
        let done = DispatchSemaphore(value: 0)
        Task {
            await server.shutDown()
            done.signal()
        }
        done.wait()
        state.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Load through the client library: what an agent using Steward sees.
enum StewardLoad {
    /// One call in flight, `calls` times in a row (after a tenth as warm-up).
    static func pingLatency<Request, Response>(
        socketPath: String, calls: Int, method: UnaryMethod<Request, Response>, request: Request
    ) async throws -> LatencySamples {
        let client = try StewardClient.connect(socketPath: socketPath)
        defer { client.close() }
        for _ in 0..<(calls / 10) { _ = try await client.call(method, request) }
        var samples = LatencySamples(capacity: calls)
        for _ in 0..<calls {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try await client.call(method, request)
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

/// Load from a plain blocking client that writes ready-made frames: the
/// daemon's share of a call, without the client library's.
enum RawClientLoad {
    static func pingLatency(socketPath: String, calls: Int) throws -> LatencySamples {
        let fd = try UnixSocket.connect(to: socketPath)
        defer { close(fd) }
        // Blocking again: this client waits in read() like the floor's.
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        var frame = StewardRpcV1.Frame()
        frame.callID = 1
        frame.kind = .request
        frame.method = GrpcHealthV1.Health.check.path
        let request = FrameWriter.encode(frame)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var samples = LatencySamples(capacity: calls)
        for iteration in 0..<(calls + calls / 10) {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            // The answer to a Health.Check is one small END frame.
            var have = 0
            repeat {
                let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + have, $0.count - have) }
                guard got > 0 else { throw SystemCallError("read", errno: errno) }
                have += got
            } while have < 5 || have < 5 + (Int(buffer[3]) << 8 | Int(buffer[4]))
            if iteration >= calls / 10 { samples.add(nanoseconds: DispatchTime.now().uptimeNanoseconds - start) }
        }
        return samples
    }
}

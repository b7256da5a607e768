import ArgumentParser
import Foundation
import StewardClient
import StewardWire

/// Issue 13, item 7, as a figure: a separate stewardd's resident memory
/// idle, after a burst of clients, after a flood of hostile frames, and how
/// soon it comes back within twice the idle figure.
struct MemoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Measure stewardd's RSS idle, after 500 clients and 200,000 hostile frames, and as it settles.")

    @Option(help: "Clients connected at once, each with one call answered.")
    var clients = 500

    @Option(help: "Hostile frames, each a mutated request on a connection that hangs up at once.")
    var frames = 200_000

    @Option(help: "Threads sending the hostile frames.")
    var senders = 4

    func run() async throws {
        let daemon = try BenchDaemon()
        defer { daemon.stop() }
        let warm = try StewardClient.connect(socketPath: daemon.socketPath)
        defer { warm.close() }
        for _ in 0..<10 { _ = try await warm.call(StewardV1.Server.info, .init()) }
        let idle = daemon.residentKilobytes

        var burst: [StewardClient] = []
        for _ in 0..<clients { burst.append(try StewardClient.connect(socketPath: daemon.socketPath)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in burst { group.addTask { _ = try await client.call(StewardV1.Server.info, .init()) } }
            try await group.waitForAll()
        }
        burst.forEach { $0.close() }
        burst.removeAll()
        let afterClients = daemon.residentKilobytes

        let started = Date()
        let perSender = frames / senders
        DispatchQueue.concurrentPerform(iterations: senders) { _ in
            HostileFrames.send(perSender, to: daemon.socketPath)
        }
        let sendSeconds = Date().timeIntervalSince(started)
        let afterFrames = daemon.residentKilobytes

        // Polled once a second for a minute: when it is back within 2x idle.
        var settled = afterFrames
        var settledAfter: Int?
        for second in 0...60 {
            settled = daemon.residentKilobytes
            if settled <= 2 * idle {
                settledAfter = second
                break
            }
            try await Task.sleep(for: .seconds(1))
        }
        _ = try await warm.call(StewardV1.Server.info, .init())

        func mib(_ kilobytes: Int) -> String { String(format: "%.1f MiB", Double(kilobytes) / 1024) }
        let rate = String(format: "%.0f", Double(perSender * senders) / sendSeconds)
        let rows = [
            ("idle, after 10 calls", mib(idle)),
            ("after \(clients) clients, each answered", mib(afterClients)),
            ("after \(perSender * senders) hostile frames (\(rate)/s)", mib(afterFrames)),
            ("settled" + (settledAfter.map { " (after \($0) s)" } ?? " (not within 60 s)"), mib(settled)),
        ]
        print("stewardd resident memory (a separate process; VmRSS from /proc/PID/status):")
        for (name, value) in rows { print("  " + name.padding(toLength: 52, withPad: " ", startingAt: 0) + value) }
        print("target: back within 2x idle (\(mib(2 * idle))) within a minute: \(settledAfter != nil ? "PASS" : "FAIL")")
    }
}

/// Mutated copies of a valid request: random bytes changed after the
/// length prefix (a length past the bytes sent would only wait for more).
enum HostileFrames {
    static func send(_ count: Int, to path: String) {
        var request = StewardRpcV1.Frame()
        request.callID = 7
        request.kind = .request
        request.method = StewardV1.Server.info.path
        request.metadata = [StewardRpcV1.MetadataEntry(key: "k", value: String(repeating: "v", count: 200))]
        let valid = FrameWriter.encode(request)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<count {
            var frame = valid
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                frame[Int.random(in: 5..<frame.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            guard let fd = try? UnixSocket.connect(to: path) else { continue }
            _ = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(fd)
        }
    }
}

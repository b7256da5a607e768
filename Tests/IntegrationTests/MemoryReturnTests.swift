import Foundation
import StewardWire
import Testing

/// Memory returns after a burst (issue 13, item 7): the daemon's resident
/// memory, read from /proc/PID/status of the real process, comes back to
/// within twice its idle figure within a minute of a burst of 500 clients
/// and of a flood of hostile frames over real sockets.
@Suite("Memory returns after bursts", .serialized, .timeLimit(.minutes(4)))
struct MemoryReturnTests {
    static let clients = 500
    static let hostileConnections = 20_000

    @Test("After 500 clients and 20,000 hostile frames, RSS is back within 1.5x idle within a minute")
    func returnsAfterBursts() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock", openFiles: (4096, 4096))
        // Each hostile connection is logged (a notice); more than a pipe holds.
        daemon.discardLog()
        // Idle: started and warmed by a few calls.
        let warm = try RawConnection(path: daemon.socketPath)
        for id in 1...10 as ClosedRange<UInt64> {
            try await warm.send(Frames.request(id, StewardV1.Server.info, .init()))
            #expect(try await warm.nextFrame()?.statusCode == .ok)
        }
        let idle = daemon.residentKilobytes

        // 500 clients at once, each with a call answered, then all gone.
        var burst: [RawConnection] = []
        for _ in 0..<Self.clients { burst.append(try RawConnection(path: daemon.socketPath)) }
        for (index, client) in burst.enumerated() {
            try await client.send(Frames.request(UInt64(index + 1), StewardV1.Server.info, .init()))
        }
        for client in burst { #expect(try await client.nextFrame()?.statusCode == .ok) }
        let peakAfterClients = daemon.residentKilobytes
        burst.removeAll()

        // Hostile frames: a valid request with random bytes changed, each on
        // a connection that hangs up straight after sending it.
        let sent = try await offThePool { try Self.sendHostileFrames(Self.hostileConnections, to: daemon.socketPath) }
        #expect(sent == Self.hostileConnections)
        let peakAfterFrames = daemon.residentKilobytes

        // Back within twice the idle figure within a minute (polled) — held
        // here to 1.5 times, which the burst alone exceeds without a trim of
        // the heap (measured: 57 MiB against 35 MiB idle, for good).
        let end = Date().addingTimeInterval(60)
        var now = daemon.residentKilobytes
        while now * 2 > 3 * idle && Date() < end {
            try await Task.sleep(for: .milliseconds(250))  // polling /proc, not synchronising
            now = daemon.residentKilobytes
        }
        #expect(now * 2 <= 3 * idle, "idle \(idle) KiB; after 500 clients \(peakAfterClients) KiB, after hostile frames \(peakAfterFrames) KiB; a minute later \(now) KiB")
        print("memory: idle \(idle) KiB, after 500 clients \(peakAfterClients) KiB, after \(Self.hostileConnections) hostile frames \(peakAfterFrames) KiB, settled \(now) KiB")

        // Still serving.
        try await warm.send(Frames.request(99, StewardV1.Server.info, .init()))
        #expect(try await warm.nextFrame()?.statusCode == .ok)
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }

    /// Connects `count` times, sends one mutated frame and closes at once.
    static func sendHostileFrames(_ count: Int, to path: String) throws -> Int {
        var request = StewardRpcV1.Frame()
        request.callID = 7
        request.kind = .request
        request.method = StewardV1.Server.info.path
        request.metadata = [StewardRpcV1.MetadataEntry(key: "k", value: String(repeating: "v", count: 200))]
        let valid = FrameWriter.encode(request)
        var generator = SystemRandomNumberGenerator()
        var sent = 0
        for _ in 0..<count {
            var frame = valid
            // Keep the 5-byte prefix: a length past the bytes sent would only
            // wait for more; the body is what the decoder must survive.
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                frame[Int.random(in: 5..<frame.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            let fd = try UnixSocket.connect(to: path)
            _ = frame.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(fd)
            sent += 1
        }
        return sent
    }
}

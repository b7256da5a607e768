import Foundation
import StewardServer
import StewardWire
import Testing

/// Clients that hang up while the server is answering, pausing or closing
/// (issue 13, item 11). The daemon that died after a registry outage was
/// killed in libdispatch when a peer's hang-up met a dispatch source being
/// resumed or cancelled; sockets are now watched by the SocketReactor, and
/// this churns through the same moments thousands of times on real sockets.
@Suite("Hang-ups at every moment", .timeLimit(.minutes(3)))
struct HangUpChurnTests {
    static let rounds = 750

    @Test("Thousands of clients hang up mid-answer, mid-pause and mid-close; the server serves on")
    func churn() async throws {
        var limits = ServerLimits()
        // Small enough that a client sending a burst without reading makes
        // the server pause reading it (backpressure) before it hangs up.
        limits.maxBufferedBytesPerConnection = 4 * 1024
        limits.maxFrameBytes = 64 * 1024
        limits.maxCallsInFlightPerConnection = 4_096
        let server = try TestServer.start(limits: limits)
        let path = server.socketPath
        var echo = StewardRpcV1.MetadataEntry()
        echo.key = String(repeating: "e", count: 512)
        let request = FrameWriter.encode(Frames.request(1, TestRoutes.echo, echo))
        var burst: [UInt8] = []
        for callID in 1...400 as ClosedRange<UInt64> {
            burst += FrameWriter.encode(Frames.request(callID, TestRoutes.echo, echo))
        }
        // A prefix announcing a frame over the limit: refused, then closed after the answer.
        let oversized: [UInt8] = [0, 0x7f, 0xff, 0xff, 0xff]
        let payloads = [request, burst, oversized, []]

        try await offThePool {
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                for round in 0..<Self.rounds {
                    guard let fd = try? UnixSocket.connect(to: path) else { continue }
                    let bytes = payloads[(round + worker) % payloads.count]
                    if !bytes.isEmpty {
                        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    }
                    close(fd)
                }
            }
        }

        // Still serving, on a fresh connection. The server may not have
        // seen every hang-up yet: while it still counts this uid's closed
        // connections it refuses a new one at once (RESOURCE_EXHAUSTED on
        // call 0, the per-uid limit). It must serve once it has caught up.
        let giveUp = Date().addingTimeInterval(30)
        var answer: StewardRpcV1.Frame?
        var refusals = 0
        while Date() < giveUp {
            let client = try RawConnection(path: path)
            try await client.send(Frames.request(9, TestRoutes.echo, .init(key: "after")))
            let frame = try #require(await client.nextFrame())
            if frame.callID == 0 && frame.statusCode == .resourceExhausted {
                refusals += 1
                try await Task.sleep(for: .milliseconds(10))
                continue
            }
            answer = frame
            break
        }
        let served = try #require(answer, "still refused after \(refusals) attempts")
        #expect(served.callID == 9 && served.statusCode == .ok, "answered \(served.callID) \(served.statusCode)")
        await server.stop()
    }
}

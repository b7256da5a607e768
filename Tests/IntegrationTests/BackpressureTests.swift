import Foundation
import StewardWire
import Testing

@Suite("A client that never reads", .timeLimit(.minutes(2)))
struct BackpressureTests {
    @Test("The daemon stops reading from it, so its memory for that client stays bounded")
    func neverReads() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let limit = 256 * 1024
        let daemon = try await DaemonProcess.start(
            socketPath: directory + "/steward.sock",
            arguments: ["--max-buffered-bytes", "\(limit)", "--max-calls-per-connection", "65536"])
        let baseline = daemon.residentKilobytes

        // Server.Info answers are ~100 bytes and the requests ~40: the daemon
        // answers far more bytes than it reads, and this client reads none.
        let raw = try RawConnection(path: daemon.socketPath)
        var request: [UInt8] = []
        for callID in 1...2_000 {
            request += FrameWriter.encode(Frames.request(UInt64(callID), StewardV1.Server.info, .init()))
        }
        var sent = 0
        var daemonStoppedReading = false
        var lastTaken = DispatchTime.now().uptimeNanoseconds
        // Keep sending while the socket takes bytes. Once the daemon stops
        // reading (our answers pile up unread), the socket stays full: a
        // whole second in which it takes nothing is the sign. (Counted by
        // bytes taken, not by poll: poll may call a full Unix socket
        // writable, and a loop trusting it would never end.)
        while sent < 256 << 20 {
            let taken = raw.sendWithoutWaiting(request)
            sent += taken
            let now = DispatchTime.now().uptimeNanoseconds
            if taken > 0 {
                lastTaken = now
            } else if now - lastTaken >= 1_000_000_000 {
                daemonStoppedReading = true
                break
            } else {
                _ = try await raw.waitUntilWritable(timeoutMilliseconds: 100)
            }
        }
        #expect(daemonStoppedReading, "the daemon read \(sent) bytes while none of its answers were read")
        let grown = daemon.residentKilobytes - baseline
        // Unread answers are bounded by the limit plus the kernel's socket buffers.
        #expect(grown < 32 * 1024, "daemon grew by \(grown) KiB")
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit() == 0)
    }
}

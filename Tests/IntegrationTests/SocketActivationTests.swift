import Foundation
import Glibc
import StewardClient
import StewardWire
import Testing

/// Socket activation and readiness as systemd does them (contrib/systemd):
/// the socket is bound by the "manager" (this test), handed over as
/// descriptor 3; stewardd says READY=1 once it serves and STOPPING=1 when
/// SIGTERM starts the drain, and leaves the socket file, which is not its own.
@Suite("Socket activation and sd_notify", .serialized)
struct SocketActivationTests {
    @Test(arguments: ["path", "abstract"])
    func servesTheHandedOverSocketAndReportsReadyAndStopping(notifyKind: String) async throws {
        let base = NSTemporaryDirectory() + "stw-act-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let socketPath = base + "/steward.sock"
        let listening = try UnixSocket.makeStreamSocket(nonBlocking: false)
        defer { close(listening) }
        try UnixSocket.bind(listening, to: socketPath)
        #expect(listen(listening, 16) == 0)
        let notify = try NotifyListener(
            address: notifyKind == "path" ? base + "/notify.sock" : "@steward-test-notify-\(UUID().uuidString)")

        let daemon = try ActivatedDaemon(
            inherited: listening, notifySocket: notify.address, stateDirectory: base + "/state", logPath: base + "/stewardd.log")
        let ready = try await notify.next(within: 60)
        try #require(ready?.contains("READY=1") == true, "no READY=1; stewardd log:\n\(daemon.log)")

        let client = try StewardClient.connect(socketPath: socketPath, environment: [:])
        let me = try await client.call(StewardV1.Server.whoAmI, StewardV1.WhoAmIRequest(), timeout: .seconds(10))
        #expect(me.uid == getuid())
        #expect(me.pid == getpid())
        client.close()
        #expect(daemon.log.contains("socket=\(socketPath)") || daemon.log.contains(socketPath), "\(daemon.log)")

        kill(daemon.pid, SIGTERM)
        let stopping = try await notify.next(within: 60)
        #expect(stopping?.contains("STOPPING=1") == true, "\(String(describing: stopping)); log:\n\(daemon.log)")
        #expect(try await daemon.waitForExit() == 0, "\(daemon.log)")
        // The file belongs to whoever bound it (systemd keeps it across restarts).
        #expect(SocketLocation.socketExists(socketPath))
    }

    @Test func refusesADescriptorThatIsNotAListeningUnixStreamSocket() async throws {
        let base = NSTemporaryDirectory() + "stw-act-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let unlistened = try UnixSocket.makeStreamSocket(nonBlocking: false)
        defer { close(unlistened) }
        try UnixSocket.bind(unlistened, to: base + "/steward.sock")
        let notify = try NotifyListener(address: base + "/notify.sock")
        let daemon = try ActivatedDaemon(
            inherited: unlistened, notifySocket: notify.address, stateDirectory: base + "/state", logPath: base + "/stewardd.log")
        #expect(try await daemon.waitForExit() == 1)
        #expect(daemon.log.contains("the socket handed over on descriptor 3 is not listening"), "\(daemon.log)")
        #expect(try await notify.next(within: 0) == nil)
    }
}

import Foundation
import StewardClient
import StewardServer
import StewardWire
import Testing

@Suite("Graceful shutdown", .timeLimit(.minutes(2)))
struct ShutdownTests {
    @Test("Draining lets calls in flight finish, refuses new ones, and removes the socket file")
    func drainInProcess() async throws {
        let server = try TestServer.start()
        let client = try StewardClient.connect(socketPath: server.socketPath)
        // Long enough that it is surely still running when the drain starts,
        // even on a loaded machine.
        let slow = Task { try await client.call(TestRoutes.sleep, .init(key: "1500")) }
        try await waitUntilCallsInFlight(atLeast: 2, client: client)
        let drain = Task { await server.server.shutDown() }
        let answer = try await slow.value
        #expect(answer.value == "1500")
        await drain.value
        #expect(!FileManager.default.fileExists(atPath: server.socketPath))
        try? FileManager.default.removeItem(atPath: server.directory)
    }

    @Test("Calls still running after the grace period are answered UNAVAILABLE")
    func graceExpires() async throws {
        let server = try TestServer.start(drainGraceMilliseconds: 100)
        let raw = try RawConnection(path: server.socketPath)
        try await raw.send(Frames.request(1, TestRoutes.stubbornSleep, .init(key: "5000")))
        try await raw.send(Frames.request(2, StewardV1.Server.stats, .init()))
        // Stats answers once call 1 is surely in flight (frames are handled in order).
        #expect(try await raw.nextFrame()?.callID == 2)
        await server.server.shutDown()
        let answer = try #require(await raw.nextFrame())
        #expect(answer.callID == 1 && answer.statusCode == .unavailable)
        try? FileManager.default.removeItem(atPath: server.directory)
    }

    @Test("SIGTERM: a call in flight finishes, stewardd exits 0 and removes its socket file")
    func sigterm() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let client = try StewardClient.connect(socketPath: daemon.socketPath)
        // A Watch is a call that stays in flight until the daemon ends it.
        var watch = client.stream(GrpcHealthV1.Health.watch, .init()).makeAsyncIterator()
        #expect(try await watch.next()?.status == .serving)
        daemon.signal(SIGTERM)
        #expect(try await watch.next()?.status == .notServing)
        #expect(try await watch.next() == nil, "the watch ends OK")
        #expect(try await daemon.waitForExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
        #expect(daemon.stderrText.contains("stopped"))
    }
}

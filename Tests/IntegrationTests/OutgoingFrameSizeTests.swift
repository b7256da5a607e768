import Foundation
import Logging
import StewardCore
import StewardServer
import StewardStore
import StewardWire
import Testing

/// A response that would not fit in a frame is answered RESOURCE_EXHAUSTED,
/// never sent as a frame the client must refuse (which would cost it the
/// connection and every other call on it).
@Suite("Outgoing frame size", .timeLimit(.minutes(2)))
struct OutgoingFrameSizeTests {
    @Test("Audit.List whose page would exceed the frame limit is RESOURCE_EXHAUSTED; a smaller page is served on the same connection")
    func oversizedPage() async throws {
        var limits = ServerLimits()
        limits.maxFrameBytes = 16 * 1024
        let administrator = PermissionEnforcementTests.FixedCaller { Caller.administrator(uid: $0) }
        try await withRegistryServer(limits: limits, callers: administrator) { socketPath, store, _ in
            // 100 events of about 1 KiB each: a 100 KiB page.
            let message = String(repeating: "m", count: 1_000)
            for index in 0..<100 {
                _ = try store.appendAuditEvent(NewAuditEvent(
                    at: Date(), uid: 0, method: "/steward.v1.Users/Delete", target: "user\(index)", status: .notFound, message: message))
            }
            let connection = try RawConnection(path: socketPath)
            var whole = StewardV1.ListAuditEventsRequest()
            whole.pageSize = 100
            try await connection.send(Frames.request(1, StewardV1.Audit.list, whole))
            let refused = try #require(try await connection.nextFrame())
            #expect(refused.callID == 1 && refused.statusCode == .resourceExhausted, "\(refused.statusCode): \(refused.statusMessage)")
            #expect(refused.statusMessage.contains("frame limit of 16384 bytes"), "\(refused.statusMessage)")

            var small = StewardV1.ListAuditEventsRequest()
            small.pageSize = 5
            try await connection.send(Frames.request(2, StewardV1.Audit.list, small))
            let served = try #require(try await connection.nextFrame())
            #expect(served.callID == 2 && served.statusCode == .ok, "\(served.statusMessage)")
            let page = try StewardV1.ListAuditEventsResponse(serializedBytes: served.payload)
            #expect(page.events.count == 5)
        }
    }
}

/// A stream whose handler produces a message larger than a frame: the
/// stream ends RESOURCE_EXHAUSTED after the messages that fit.
@Suite("Outgoing frame size, streams", .timeLimit(.minutes(2)))
struct OutgoingStreamFrameSizeTests {
    /// Sends a message of 100 bytes, then one of `key` bytes (as a decimal count).
    static let grow = ServerStreamingMethod<StewardRpcV1.MetadataEntry, StewardRpcV1.MetadataEntry>(path: "/steward.testing.Big/Grow")

    @Test("A stream message that would exceed the frame limit ends the stream RESOURCE_EXHAUSTED; the connection goes on")
    func oversizedMessage() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = ServerConfiguration(socketPath: directory + "/steward.sock")
        configuration.limits.maxFrameBytes = 16 * 1024
        var router = Router()
        router.register(Self.grow, policy: .requires(.knownCaller)) { request, _, stream in
            try await stream.send(.init(key: "small", value: String(repeating: "s", count: 100)))
            try await stream.send(.init(key: "large", value: String(repeating: "l", count: Int(request.key) ?? 0)))
        }
        var logger = Logger(label: "outgoing-stream")
        logger.logLevel = .critical
        let server = StewardServer(configuration: configuration, router: router, logger: logger)
        try server.start()

        let connection = try RawConnection(path: server.socketPath)
        try await connection.send(Frames.request(1, Self.grow.path, payload: StewardRpcV1.MetadataEntry(key: "20000").serializedBytes()))
        let first = try #require(try await connection.nextFrame())
        #expect(first.kind == .message && first.callID == 1)
        let end = try #require(try await connection.nextFrame())
        #expect(end.kind == .end && end.callID == 1 && end.statusCode == .resourceExhausted, "\(end.statusCode): \(end.statusMessage)")
        #expect(end.statusMessage.contains("frame limit of 16384 bytes"), "\(end.statusMessage)")

        // Just under the limit is sent.
        try await connection.send(Frames.request(2, Self.grow.path, payload: StewardRpcV1.MetadataEntry(key: "16000").serializedBytes()))
        #expect(try await connection.nextFrame()?.kind == .message)
        #expect(try await connection.nextFrame()?.kind == .message)
        #expect(try await connection.nextFrame()?.statusCode == .ok)
        await server.shutDown()
    }
}

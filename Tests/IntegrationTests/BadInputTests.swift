import Foundation
import StewardClient
import StewardServer
import StewardWire
import Testing

/// Each bad input gets its documented answer (docs/protocol.md) while a
/// second, well-behaved client keeps being served.
@Suite("Bad input", .timeLimit(.minutes(2)))
struct BadInputTests {
    /// Runs `misbehave` against a fresh server, then checks a second client
    /// on its own connection is still answered.
    /// With a short idle timeout, the bystander would be closed as idle too,
    /// so it connects after the misbehaviour instead of before.
    private func withBystander(
        limits: ServerLimits = ServerLimits(),
        _ misbehave: (TestServer) async throws -> Void
    ) async throws {
        let server = try TestServer.start(limits: limits)
        let connectsFirst = limits.idleTimeoutMilliseconds >= ServerLimits().idleTimeoutMilliseconds
        var early: StewardClient?
        if connectsFirst {
            early = try StewardClient.connect(socketPath: server.socketPath)
            _ = try await early?.call(GrpcHealthV1.Health.check, .init())
        }
        try await misbehave(server)
        let bystander = try early ?? StewardClient.connect(socketPath: server.socketPath)
        let answer = try await bystander.call(TestRoutes.echo, .init(key: "still here"))
        #expect(answer.value == "still here")
        bystander.close()
        await server.stop()
    }

    @Test("Random bytes: every answer is an error END and the connection is closed", arguments: [1, 2, 3, 4])
    func randomBytes(seed: UInt64) async throws {
        try await withBystander { server in
            let raw = try RawConnection(path: server.socketPath)
            var generator = SeededGenerator(seed: seed)
            try await raw.send((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let frames = try await raw.framesUntilClosed()
            #expect(frames.allSatisfy { $0.kind == .end && $0.statusCode != .ok })
            #expect(raw.sawEndOfStream)
        }
    }

    @Test("A length over the limit is refused before its bytes arrive, naming the call when it can")
    func oversizedFrame() async throws {
        try await withBystander(limits: { var l = ServerLimits(); l.maxFrameBytes = 64 * 1024; return l }()) { server in
            let raw = try RawConnection(path: server.socketPath)
            // Claims 4 GiB - 1 and sends only the start of the Frame (call_id 42).
            try await raw.send([0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x08, 42])
            let frames = try await raw.framesUntilClosed()
            #expect(frames.count == 1)
            #expect(frames.first?.callID == 42)
            #expect(frames.first?.statusCode == .resourceExhausted)
            #expect(frames.first?.statusMessage.contains("exceeds the limit of 65536 bytes") == true)
        }
    }

    @Test("A truncated frame followed by close leaves the server serving")
    func truncatedThenClose() async throws {
        try await withBystander { server in
            let raw = try RawConnection(path: server.socketPath)
            let whole = FrameWriter.encode(Frames.request(1, TestRoutes.echo, .init(key: "x")))
            try await raw.send(Array(whole.prefix(whole.count - 3)))
        }
    }

    @Test("A flag bit set: UNIMPLEMENTED for that call; the connection goes on")
    func flagBit() async throws {
        try await withBystander { server in
            let raw = try RawConnection(path: server.socketPath)
            try await raw.send(Frames.request(5, TestRoutes.echo, .init(key: "x")), flags: 0x01)
            let answer = try #require(await raw.nextFrame())
            #expect(answer.callID == 5 && answer.statusCode == .unimplemented)
            try await raw.send(Frames.request(6, TestRoutes.echo, .init(key: "y")))
            #expect(try await raw.nextFrame()?.statusCode == .ok)
        }
    }

    @Test("Call id 0: INVALID_ARGUMENT on call 0, then close")
    func callIDZero() async throws {
        try await withBystander { server in
            let raw = try RawConnection(path: server.socketPath)
            try await raw.send(Frames.request(0, TestRoutes.echo, .init(key: "x")))
            let frames = try await raw.framesUntilClosed()
            #expect(frames.count == 1)
            #expect(frames.first?.callID == 0 && frames.first?.statusCode == .invalidArgument)
        }
    }

    @Test("A call id reused while in flight: INVALID_ARGUMENT on call 0, then close")
    func reusedCallID() async throws {
        try await withBystander { server in
            let raw = try RawConnection(path: server.socketPath)
            try await raw.send(Frames.request(9, TestRoutes.sleep, .init(key: "10000")))
            try await raw.send(Frames.request(9, TestRoutes.echo, .init(key: "x")))
            let frames = try await raw.framesUntilClosed()
            let connectionError = try #require(frames.last)
            #expect(connectionError.callID == 0 && connectionError.statusCode == .invalidArgument)
            #expect(connectionError.statusMessage.contains("call id 9 is already in flight"))
        }
    }

    @Test("An unknown method: UNIMPLEMENTED naming it")
    func unknownMethod() async throws {
        try await withBystander { server in
            let raw = try RawConnection(path: server.socketPath)
            try await raw.send(Frames.request(1, "/steward.v1.Nope/Nothing"))
            let answer = try #require(await raw.nextFrame())
            #expect(answer.callID == 1 && answer.statusCode == .unimplemented)
            #expect(answer.statusMessage.contains("/steward.v1.Nope/Nothing"))
        }
    }

    @Test("An undecodable payload: INVALID_ARGUMENT")
    func undecodablePayload() async throws {
        try await withBystander { server in
            let raw = try RawConnection(path: server.socketPath)
            try await raw.send(Frames.request(1, TestRoutes.echo.path, payload: [0x0A, 0x20, 0x41]))
            let answer = try #require(await raw.nextFrame())
            #expect(answer.callID == 1 && answer.statusCode == .invalidArgument)
            #expect(answer.statusMessage.contains("steward.rpc.v1.MetadataEntry"))
        }
    }

    @Test("Invalid UTF-8 or a NUL in a string field: INVALID_ARGUMENT naming the field", arguments: [
        ([0xC3, 0x28] as [UInt8], "invalid UTF-8"),
        ([0x61, 0x00, 0x62] as [UInt8], "NUL"),
    ])
    func badStrings(bytes: [UInt8], problem: String) async throws {
        try await withBystander { server in
            let raw = try RawConnection(path: server.socketPath)
            // HealthCheckRequest { service = <bytes> }
            let payload: [UInt8] = [0x0A, UInt8(bytes.count)] + bytes
            try await raw.send(Frames.request(1, GrpcHealthV1.Health.check.path, payload: payload))
            let answer = try #require(await raw.nextFrame())
            #expect(answer.callID == 1 && answer.statusCode == .invalidArgument)
            #expect(answer.statusMessage.contains("field service"))
            #expect(answer.statusMessage.contains(problem))
        }
    }

    @Test("CANCEL of an unknown call is ignored")
    func cancelUnknown() async throws {
        try await withBystander { server in
            let raw = try RawConnection(path: server.socketPath)
            try await raw.send(Frames.cancel(77))
            try await raw.send(Frames.request(2, TestRoutes.echo, .init(key: "after")))
            let answer = try #require(await raw.nextFrame())
            #expect(answer.callID == 2 && answer.statusCode == .ok)
        }
    }

    @Test("A client that connects and never sends is closed after the idle timeout")
    func idleClient() async throws {
        try await withBystander(limits: { var l = ServerLimits(); l.idleTimeoutMilliseconds = 200; return l }()) { server in
            let raw = try RawConnection(path: server.socketPath)
            let started = DispatchTime.now()
            let frames = try await raw.framesUntilClosed(timeoutMilliseconds: 5_000)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
            #expect(frames.count == 1 && frames.first?.callID == 0 && frames.first?.statusCode == .unavailable)
            #expect(elapsed >= 200 && elapsed < 3_000, "closed after \(elapsed) ms")
        }
    }

    @Test("A client that sends half a frame and stalls is closed after the idle timeout")
    func halfFrameStall() async throws {
        // Long enough that the half frame is surely sent before the connection
        // could count as idle, even on a loaded machine.
        try await withBystander(limits: { var l = ServerLimits(); l.idleTimeoutMilliseconds = 1_000; return l }()) { server in
            let raw = try RawConnection(path: server.socketPath)
            let whole = FrameWriter.encode(Frames.request(1, TestRoutes.echo, .init(key: "x")))
            try await raw.send(Array(whole.prefix(whole.count / 2)))
            _ = try await raw.framesUntilClosed(timeoutMilliseconds: 5_000)
            #expect(raw.sawEndOfStream)
        }
    }

    @Test("Too many calls in flight on one connection: RESOURCE_EXHAUSTED for the extra call")
    func tooManyCalls() async throws {
        try await withBystander(limits: { var l = ServerLimits(); l.maxCallsInFlightPerConnection = 2; return l }()) { server in
            let raw = try RawConnection(path: server.socketPath)
            try await raw.send(Frames.request(1, TestRoutes.sleep, .init(key: "10000")))
            try await raw.send(Frames.request(2, TestRoutes.sleep, .init(key: "10000")))
            try await raw.send(Frames.request(3, TestRoutes.echo, .init(key: "x")))
            let answer = try #require(await raw.nextFrame())
            #expect(answer.callID == 3 && answer.statusCode == .resourceExhausted)
        }
    }

    @Test("Connections beyond the limit are told why and closed")
    func tooManyConnections() async throws {
        let server = try TestServer.start(limits: { var l = ServerLimits(); l.maxConnections = 1; return l }())
        let first = try StewardClient.connect(socketPath: server.socketPath)
        _ = try await first.call(GrpcHealthV1.Health.check, .init())
        let second = try RawConnection(path: server.socketPath)
        let frames = try await second.framesUntilClosed()
        #expect(frames.count == 1 && frames.first?.statusCode == .resourceExhausted)
        _ = try await first.call(GrpcHealthV1.Health.check, .init())
        first.close()
        await server.stop()
    }
}

/// xorshift64*: reproducible noise, so a failure can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

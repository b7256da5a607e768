import Foundation
import StewardServer
import StewardWire
import Testing

/// Bounded decoding before admission: what a frame within the length limit
/// may make the daemon allocate. One 4 MiB frame of two million empty
/// metadata entries once took stewardd to about 212 MB, eight of them to
/// 1.5 GB.
@Suite("Decoding bounds", .timeLimit(.minutes(3)))
struct DecodingBoundsTests {
    static let healthCheck = Array("/grpc.health.v1.Health/Check".utf8)

    /// A REQUEST frame for Health.Check, prefix included, with `extra`
    /// appended to its encoded fields and `payload` as the request.
    static func frame(callID: UInt64, extra: [UInt8] = [], payload: [UInt8] = []) -> [UInt8] {
        var body = ExtremeRequests.key(1, 0) + ExtremeRequests.varint(callID) + ExtremeRequests.key(2, 0) + [1]
        body += ExtremeRequests.key(3, 2) + ExtremeRequests.varint(UInt64(healthCheck.count)) + healthCheck
        if !payload.isEmpty {
            body += ExtremeRequests.key(6, 2) + ExtremeRequests.varint(UInt64(payload.count)) + payload
        }
        body += extra
        return [0] + ExtremeRequests.bigEndian32(body.count) + body
    }

    /// `count` empty metadata entries (field 5, length 0): two bytes each.
    static func emptyMetadata(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count * 2) { buffer, initialized in
            for index in 0..<count {
                buffer[2 * index] = 0x2A
                buffer[2 * index + 1] = 0
            }
            initialized = count * 2
        }
    }

    /// `count` unknown varint fields (field 15, value 0): two bytes on the
    /// wire, a 24-byte record and a copy of the value once unpacked.
    static func unknownFields(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count * 2) { buffer, initialized in
            for index in 0..<count {
                buffer[2 * index] = 0x78
                buffer[2 * index + 1] = 0
            }
            initialized = count * 2
        }
    }

    @Test("Eight 4 MiB frames of two million empty metadata entries: RESOURCE_EXHAUSTED each, and the daemon's memory stays flat")
    func metadataFlood() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let daemon = try await DaemonProcess.start(socketPath: directory + "/run/steward.sock")
        let connection = try RawConnection(path: daemon.socketPath)
        try await connection.send(Self.frame(callID: 1))
        #expect(try await connection.nextFrame()?.statusCode == .ok)
        let before = daemon.residentKilobytes

        // Just under 4 MiB: (4 MiB - 64) / 2 entries.
        let flood = Self.emptyMetadata((4 * 1024 * 1024 - 64) / 2)
        for callID in UInt64(2)...9 {
            try await connection.send(Self.frame(callID: callID, extra: flood))
            let answer = try #require(try await connection.nextFrame(timeoutMilliseconds: 30_000), "call \(callID): no answer")
            #expect(answer.callID == callID)
            #expect(answer.statusCode == .resourceExhausted, "\(answer.statusCode): \(answer.statusMessage)")
            #expect(answer.statusMessage.contains("metadata"))
        }
        let after = daemon.residentKilobytes
        print("stewardd VmRSS before the metadata frames: \(before) KiB, after eight: \(after) KiB")
        // The frames themselves pass through a 4 MiB read buffer; decoding
        // them once cost over 200 MB each.
        #expect(after - before < 48 * 1024, "VmRSS grew from \(before) KiB to \(after) KiB")

        // The connection goes on: the frame was read whole, only its call failed.
        try await connection.send(Self.frame(callID: 10))
        #expect(try await connection.nextFrame()?.statusCode == .ok)
    }

    @Test("Metadata at the limits passes; one entry more, or one byte more, is RESOURCE_EXHAUSTED for that call")
    func metadataLimits() async throws {
        let limits = ServerLimits()
        let server = try TestServer.start(limits: limits)
        let connection = try RawConnection(path: server.socketPath)
        let entry: [UInt8] = [0x2A, 0x04, 0x0A, 0x02, 0x6B, 0x31]  // key "k1", 4 bytes
        try await connection.send(Self.frame(callID: 1, extra: Array([[UInt8]](repeating: entry, count: limits.maxMetadataEntries).joined())))
        #expect(try await connection.nextFrame()?.statusCode == .ok)
        try await connection.send(Self.frame(callID: 2, extra: Array([[UInt8]](repeating: entry, count: limits.maxMetadataEntries + 1).joined())))
        let tooMany = try #require(try await connection.nextFrame())
        #expect(tooMany.callID == 2 && tooMany.statusCode == .resourceExhausted, "\(tooMany.statusMessage)")

        // One entry whose value takes the byte limit, plus its own tags.
        let value = [UInt8](repeating: 0x61, count: limits.maxMetadataBytes)
        let inner = ExtremeRequests.key(2, 2) + ExtremeRequests.varint(UInt64(value.count)) + value
        let big = ExtremeRequests.key(5, 2) + ExtremeRequests.varint(UInt64(inner.count)) + inner
        try await connection.send(Self.frame(callID: 3, extra: big))
        let tooLarge = try #require(try await connection.nextFrame())
        #expect(tooLarge.callID == 3 && tooLarge.statusCode == .resourceExhausted, "\(tooLarge.statusMessage)")
        try await connection.send(Self.frame(callID: 4))
        #expect(try await connection.nextFrame()?.statusCode == .ok)
        await server.stop()
    }

    @Test("A request within the frame limit that would unpack past the decoding budget is RESOURCE_EXHAUSTED")
    func requestOverBudget() async throws {
        let server = try TestServer.start()
        let connection = try RawConnection(path: server.socketPath)
        // ~1.9 million unknown fields in 3.8 MB: about 46 MB once unpacked, over the 16 MiB budget.
        let payload = Self.unknownFields(1_900_000)
        try await connection.send(Self.frame(callID: 1, payload: payload))
        let answer = try #require(try await connection.nextFrame(timeoutMilliseconds: 30_000))
        #expect(answer.callID == 1)
        #expect(answer.statusCode == .resourceExhausted, "\(answer.statusCode): \(answer.statusMessage)")
        #expect(answer.statusMessage.contains("grpc.health.v1.HealthCheckRequest"), "\(answer.statusMessage)")
        // A small request with a few unknown fields is still fine (proto3 keeps them).
        try await connection.send(Self.frame(callID: 2, payload: Self.unknownFields(10)))
        #expect(try await connection.nextFrame()?.statusCode == .ok)
        await server.stop()
    }

    @Test("A Frame whose own unknown fields would unpack past the budget ends the connection RESOURCE_EXHAUSTED")
    func frameOverBudget() async throws {
        let server = try TestServer.start()
        let connection = try RawConnection(path: server.socketPath)
        try await connection.send(Self.frame(callID: 1, extra: Self.unknownFields(1_900_000)))
        let frames = try await connection.framesUntilClosed(timeoutMilliseconds: 30_000)
        #expect(frames.map(\.statusCode) == [.resourceExhausted], "\(frames.map(\.statusMessage))")
        let bystander = try RawConnection(path: server.socketPath)
        try await bystander.send(Self.frame(callID: 1))
        #expect(try await bystander.nextFrame()?.statusCode == .ok)
        await server.stop()
    }
}

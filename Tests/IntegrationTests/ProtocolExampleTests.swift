import Foundation
import StewardWire
import Testing

/// docs/protocol.md shows a unary exchange byte by byte; this keeps it true.
@Suite("docs/protocol.md", .timeLimit(.minutes(2)))
struct ProtocolExampleTests {
    @Test("The documented Health.Check exchange is exactly what goes over the socket")
    func documentedExchange() async throws {
        let server = try TestServer.start()
        let raw = try RawConnection(path: server.socketPath)
        let request = hex("""
            00 00 00 00 25 08 01 10 01 1a 1c
            2f 67 72 70 63 2e 68 65 61 6c 74 68 2e 76 31 2e
            48 65 61 6c 74 68 2f 43 68 65 63 6b 20 88 27
            """)
        #expect(request.count == 42)
        try await raw.send(request)
        let answer = try #require(await raw.nextFrame())
        let expected = hex("00 00 00 00 0a 08 01 10 03 32 02 08 01 3a 00")
        // The daemon encodes deterministically, so re-encoding the frame it
        // sent gives back the bytes it sent.
        #expect(FrameWriter.encode(answer) == expected)
        await server.stop()
    }

    private func hex(_ text: String) -> [UInt8] {
        text.split(whereSeparator: \.isWhitespace).map { UInt8($0, radix: 16)! }
    }
}


import StewardWire
import Testing

/// The 5-byte prefix: one flags byte, then the payload length as a big-endian
/// UInt32. Clients in other languages write it by hand, so it must be exact.
@Suite("Frame prefix")
struct FramePrefixTests {
    @Test(
        "append writes flags then the big-endian length",
        arguments: [
            (0, 0x00, [0x00, 0x00, 0x00, 0x00, 0x00]),
            (1, 0x00, [0x00, 0x00, 0x00, 0x00, 0x01]),
            (255, 0x00, [0x00, 0x00, 0x00, 0x00, 0xFF]),
            (256, 0x00, [0x00, 0x00, 0x00, 0x01, 0x00]),
            (0x0102_0304, 0x00, [0x00, 0x01, 0x02, 0x03, 0x04]),
            (4 * 1024 * 1024, 0x00, [0x00, 0x00, 0x40, 0x00, 0x00]),
            (0xFFFF_FFFF, 0x00, [0x00, 0xFF, 0xFF, 0xFF, 0xFF]),
            (0x8000_0000, 0x00, [0x00, 0x80, 0x00, 0x00, 0x00]),
            (5, 0x01, [0x01, 0x00, 0x00, 0x00, 0x05]),
            (0xA1B2_C3D4, 0xFF, [0xFF, 0xA1, 0xB2, 0xC3, 0xD4]),
        ] as [(Int, UInt8, [UInt8])])
    func exactBytes(length: Int, flags: UInt8, expected: [UInt8]) {
        var buffer: [UInt8] = []
        FramePrefix.append(length: length, flags: flags, to: &buffer)
        #expect(buffer == expected)
    }

    @Test("flags default to 0")
    func defaultFlags() {
        var buffer: [UInt8] = []
        FramePrefix.append(length: 0x0A0B, to: &buffer)
        #expect(buffer == [0x00, 0x00, 0x00, 0x0A, 0x0B])
    }

    @Test("append adds to what is already in the buffer")
    func appends() {
        var buffer: [UInt8] = [0xEE, 0xDD]
        FramePrefix.append(length: 3, to: &buffer)
        FramePrefix.append(length: 4, flags: 1, to: &buffer)
        #expect(buffer == [0xEE, 0xDD, 0, 0, 0, 0, 3, 1, 0, 0, 0, 4])
    }

    @Test("the constants are what the protocol says")
    func constants() {
        #expect(FramePrefix.byteCount == 5)
        #expect(FramePrefix.compressedFlag == 0x01)
        #expect(FramePrefix.defaultMaxFrameBytes == 4 * 1024 * 1024)
    }

    @Test("FrameWriter puts a prefix with no flags and the encoded length in front of the message")
    func frameWriterPrefix() {
        let frame = StewardRpcV1.Frame(
            callID: 9, kind: .message, payload: [UInt8](repeating: 0x5A, count: 300))
        let message = frame.serializedBytes()
        var expected: [UInt8] = []
        FramePrefix.append(length: message.count, to: &expected)
        expected += message
        #expect(FrameWriter.encode(frame) == expected)
        #expect(FrameWriter.encode(frame)[1...4] == [0x00, 0x00, 0x01, UInt8(message.count - 256)])
        #expect(FrameWriter.encode(StewardRpcV1.Frame()) == [0, 0, 0, 0, 0])
    }

    @Test("FrameWriter.append adds the frame after what is already in the buffer")
    func frameWriterAppends() {
        let first = StewardRpcV1.Frame(callID: 1)
        let second = StewardRpcV1.Frame(callID: 2, kind: .end)
        var buffer: [UInt8] = []
        FrameWriter.append(first, to: &buffer)
        FrameWriter.append(second, to: &buffer)
        #expect(buffer == FrameWriter.encode(first) + FrameWriter.encode(second))
        #expect(buffer == [0, 0, 0, 0, 2, 0x08, 0x01, 0, 0, 0, 0, 4, 0x08, 0x02, 0x10, 0x03])
    }

    @Test("a prefix written by append is read back by the decoder", arguments: [0, 1, 127, 128, 65_535, 65_536, 70_000])
    func readBack(length: Int) throws {
        var bytes: [UInt8] = []
        FramePrefix.append(length: length, flags: 0x02, to: &bytes)
        bytes += [UInt8](repeating: 0x33, count: length)
        var decoder = FrameDecoder(maxFrameBytes: 70_000)
        bytes.withUnsafeBytes { decoder.append($0) }
        var lengths: [Int] = []
        var flags: [UInt8] = []
        try decoder.decodeFrames { flag, payload in
            flags.append(flag)
            lengths.append(payload.count)
        }
        #expect(lengths == [length])
        #expect(flags == [0x02])
    }
}

import StewardWire
import Testing

/// FrameDecoder cuts a byte stream into frames however the stream was chunked
/// by the socket, and refuses an oversized frame from its prefix alone.
@Suite("Frame decoder")
struct FrameDecoderTests {
    typealias Frame = StewardRpcV1.Frame

    /// One frame as the decoder handed it out, copied out of the borrowed view.
    struct Decoded: Equatable, CustomStringConvertible {
        var flags: UInt8
        var payload: [UInt8]
        var description: String { "flags \(flags), \(payload.count) bytes" }
    }

    /// The frames of the test stream, with the flags byte each is sent with.
    /// FrameWriter always writes flags 0, so the flagged ones are patched.
    static let streamFrames: [(flags: UInt8, frame: Frame)] = [
        (0x00, Frame(callID: 1, kind: .request, method: "/steward.v1.Server/WhoAmI", timeoutMs: 250)),
        (0x01, Frame(callID: 2, kind: .message, payload: [0, 1, 2, 0xFF])),
        (0x00, Frame()),  // encodes to zero bytes: a zero-length frame
        (0x80, Frame(callID: .max, kind: .cancel)),
        (
            0x00,
            Frame(
                callID: 300, kind: .end, metadata: [.init(key: "k", value: "v"), .init(key: "é", value: "✓")],
                payload: Array(repeating: 0xAB, count: 200),
                status: .init(code: 5, message: "not found", details: [.init(type: "t", value: [9])]))
        ),
    ]

    /// The whole stream and the frames it must decode to.
    static func makeStream() -> (bytes: [UInt8], expected: [Decoded]) {
        var bytes: [UInt8] = []
        var expected: [Decoded] = []
        for (flags, frame) in streamFrames {
            var encoded = FrameWriter.encode(frame)
            encoded[0] = flags
            bytes += encoded
            expected.append(Decoded(flags: flags, payload: frame.serializedBytes()))
        }
        return (bytes, expected)
    }

    /// Feeds `chunks` one by one, decoding after each, and checks after every
    /// step that exactly the undelivered bytes remain buffered.
    static func decode(
        _ chunks: [ArraySlice<UInt8>], maxFrameBytes: Int = FramePrefix.defaultMaxFrameBytes
    ) throws -> [Decoded] {
        var decoder = FrameDecoder(maxFrameBytes: maxFrameBytes)
        var frames: [Decoded] = []
        var appended = 0
        var consumed = 0
        for chunk in chunks {
            chunk.withUnsafeBytes { decoder.append($0) }
            appended += chunk.count
            try decoder.decodeFrames { flags, payload in
                frames.append(Decoded(flags: flags, payload: Array(payload)))
                consumed += FramePrefix.byteCount + payload.count
            }
            #expect(decoder.bufferedByteCount == appended - consumed)
        }
        return frames
    }

    @Test("the test stream itself is what it claims: flags patched, one frame empty")
    func streamSanity() {
        let (bytes, expected) = Self.makeStream()
        #expect(expected.map(\.flags) == [0x00, 0x01, 0x00, 0x80, 0x00])
        #expect(expected[2].payload.isEmpty)
        #expect(bytes.count == expected.reduce(0) { $0 + FramePrefix.byteCount + $1.payload.count })
    }

    @Test("the stream in one chunk yields every frame, in order, with its flags")
    func oneChunk() throws {
        let (bytes, expected) = Self.makeStream()
        let frames = try Self.decode([bytes[...]])
        #expect(frames == expected)
        #expect(try frames.map { try Frame(serializedBytes: $0.payload) } == Self.streamFrames.map(\.frame))
    }

    @Test("every split into two chunks yields the same frames")
    func everyTwoChunkSplit() throws {
        let (bytes, expected) = Self.makeStream()
        for split in 0...bytes.count {
            let frames = try Self.decode([bytes[..<split], bytes[split...]])
            #expect(frames == expected, "split at \(split)")
        }
    }

    @Test("one byte at a time yields the same frames")
    func oneByteAtATime() throws {
        let (bytes, expected) = Self.makeStream()
        let frames = try Self.decode(bytes.indices.map { bytes[$0...$0] })
        #expect(frames == expected)
    }

    @Test("empty chunks are harmless, before, between and after frames")
    func emptyChunks() throws {
        let (bytes, expected) = Self.makeStream()
        let frames = try Self.decode([bytes[..<0], bytes[..<7], bytes[7..<7], bytes[7...], bytes[bytes.count...]])
        #expect(frames == expected)
    }

    @Test("a long stream fed in uneven chunks keeps decoding after the buffer compacts")
    func longStream() throws {
        let (bytes, expected) = Self.makeStream()
        let stream = Array([[UInt8]](repeating: bytes, count: 50).joined())
        // Chunk sizes 1, 2, ... 97 cycling, so boundaries fall everywhere.
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        var size = 1
        while start < stream.count {
            let end = min(stream.count, start + size)
            chunks.append(stream[start..<end])
            start = end
            size = size % 97 + 1
        }
        let frames = try Self.decode(chunks)
        #expect(frames == Array([[Decoded]](repeating: expected, count: 50).joined()))
    }

    @Test("a zero-length frame is delivered with an empty payload and its flags")
    func zeroLength() throws {
        #expect(try Self.decode([[0, 0, 0, 0, 0]]) == [Decoded(flags: 0, payload: [])])
        #expect(try Self.decode([[0x01, 0, 0, 0, 0]]) == [Decoded(flags: 0x01, payload: [])])
        #expect(
            try Self.decode([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
                == [Decoded(flags: 0, payload: []), Decoded(flags: 0, payload: [])])
    }

    @Test("an incomplete prefix or payload delivers nothing yet")
    func incomplete() throws {
        #expect(try Self.decode([[0, 0, 0, 0]]).isEmpty)
        #expect(try Self.decode([[0, 0, 0, 0, 3, 0xAA, 0xBB]]).isEmpty)
        #expect(try Self.decode([[0, 0, 0, 0, 3, 0xAA, 0xBB], [0xCC]]) == [Decoded(flags: 0, payload: [0xAA, 0xBB, 0xCC])])
    }

    // MARK: Oversized frames

    /// A prefix with flags 0 claiming `length` bytes.
    static func prefix(claiming length: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        FramePrefix.append(length: length, to: &bytes)
        return bytes
    }

    @Test("a frame of exactly the limit is accepted; one byte more is refused", arguments: [0, 1, 16, 1000])
    func limitBoundary(limit: Int) throws {
        let atLimit = Self.prefix(claiming: limit) + [UInt8](repeating: 7, count: limit)
        #expect(try Self.decode([atLimit[...]], maxFrameBytes: limit) == [Decoded(flags: 0, payload: [UInt8](repeating: 7, count: limit))])
        #expect(throws: FramingError.frameTooLarge(claimedBytes: limit + 1, limit: limit, callIDHint: nil)) {
            try Self.decode([Self.prefix(claiming: limit + 1)[...]], maxFrameBytes: limit)
        }
    }

    @Test("an oversized length throws as soon as the fifth prefix byte arrives")
    func throwsOnPrefix() throws {
        var decoder = FrameDecoder(maxFrameBytes: 100)
        let prefix = Self.prefix(claiming: 101)
        for byte in prefix.dropLast() {
            [byte].withUnsafeBytes { decoder.append($0) }
            try decoder.decodeFrames { _, _ in Issue.record("no frame expected") }
        }
        [prefix.last!].withUnsafeBytes { decoder.append($0) }
        #expect(throws: FramingError.frameTooLarge(claimedBytes: 101, limit: 100, callIDHint: nil)) {
            try decoder.decodeFrames { _, _ in Issue.record("no frame expected") }
        }
    }

    @Test(
        "the refusal carries the call id when the payload starts with field 1 as a varint",
        arguments: [
            ([], nil),  // nothing of the payload yet
            ([0x08], nil),  // the tag but not the value
            ([0x08, 0x2A], 42),
            ([0x08, 0x2A, 0x10, 0x01], 42),  // more fields after it
            ([0x08, 0xAC, 0x02], 300),  // multi-byte varint
            ([0x08, 0xAC], nil),  // varint cut short
            ([0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], UInt64.max),
            ([0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], nil),  // > 10 bytes
            ([0x08, 0x00], nil),  // call id 0 belongs to no call
            ([0x08, 0x80, 0x00], nil),  // call id 0, padded
            ([0x10, 0x01], nil),  // field 2 first
            ([0x09, 0x01, 0, 0, 0, 0, 0, 0, 0], nil),  // field 1 with the wrong wire type
            ([0x1A, 0x01, 0x2F], nil),  // method first
        ] as [([UInt8], UInt64?)])
    func callIDHint(payloadStart: [UInt8], hint: UInt64?) {
        let limit = 64
        let bytes = Self.prefix(claiming: limit + 1) + payloadStart
        #expect(throws: FramingError.frameTooLarge(claimedBytes: limit + 1, limit: limit, callIDHint: hint)) {
            try Self.decode([bytes[...]], maxFrameBytes: limit)
        }
    }

    @Test("a real Frame's encoding reveals its call id when it is too large")
    func callIDHintFromEncodedFrame() {
        let frame = Frame(callID: 123_456_789, kind: .request, method: "/a.B/C", payload: [UInt8](repeating: 1, count: 100))
        let bytes = FrameWriter.encode(frame)
        #expect(throws: FramingError.frameTooLarge(claimedBytes: bytes.count - 5, limit: 50, callIDHint: 123_456_789)) {
            try Self.decode([bytes[..<12]], maxFrameBytes: 50)
        }
    }

    @Test("a claimed size is never buffered: only the bytes that arrived are", arguments: [0xFFFF_FFFF, 4 * 1024 * 1024 + 1])
    func neverAllocatesTheClaim(claim: Int) {
        var decoder = FrameDecoder()
        let bytes = Self.prefix(claiming: claim) + [0x08, 0x05]
        bytes.withUnsafeBytes { decoder.append($0) }
        #expect(throws: FramingError.frameTooLarge(claimedBytes: claim, limit: FramePrefix.defaultMaxFrameBytes, callIDHint: 5)) {
            try decoder.decodeFrames { _, _ in Issue.record("no frame expected") }
        }
        #expect(decoder.bufferedByteCount <= 7)
    }

    @Test("a frame within the limit but not yet arrived buffers only what arrived")
    func partialLargeFrame() throws {
        var decoder = FrameDecoder()
        let bytes = Self.prefix(claiming: FramePrefix.defaultMaxFrameBytes) + [UInt8](repeating: 0, count: 10)
        bytes.withUnsafeBytes { decoder.append($0) }
        try decoder.decodeFrames { _, _ in Issue.record("no frame expected") }
        #expect(decoder.bufferedByteCount == 15)
    }

    @Test("frames before an oversized one are delivered before it is refused")
    func framesBeforeOversized() {
        let first = Frame(callID: 1, kind: .request, method: "/a.B/C")
        let second = Frame(callID: 2, kind: .cancel)
        let stream = FrameWriter.encode(first) + FrameWriter.encode(second) + Self.prefix(claiming: 1000) + [0x08, 0x03]
        var decoder = FrameDecoder(maxFrameBytes: 100)
        stream.withUnsafeBytes { decoder.append($0) }
        var delivered: [Frame] = []
        #expect(throws: FramingError.frameTooLarge(claimedBytes: 1000, limit: 100, callIDHint: 3)) {
            try decoder.decodeFrames { _, payload in
                delivered.append(try Frame(serializedBytes: Array(payload)))
            }
        }
        #expect(delivered == [first, second])
    }

    @Test("frames before an oversized one are delivered in every chunking")
    func framesBeforeOversizedChunked() {
        let (good, expected) = Self.makeStream()
        let stream = good + Self.prefix(claiming: 1001) + [0x08, 0x09]
        for split in 0...stream.count {
            var decoder = FrameDecoder(maxFrameBytes: 1000)
            var frames: [Decoded] = []
            var refusal: FramingError?
            for chunk in [stream[..<split], stream[split...]] {
                chunk.withUnsafeBytes { decoder.append($0) }
                do {
                    try decoder.decodeFrames { flags, payload in
                        frames.append(Decoded(flags: flags, payload: Array(payload)))
                    }
                } catch let error as FramingError {
                    refusal = error
                    break
                } catch {
                    Issue.record("unexpected \(error)")
                }
            }
            #expect(frames == expected, "split at \(split)")
            // The hint reflects what had arrived when the prefix completed: when
            // the first chunk ends with the prefix, or with the prefix and 0x08,
            // the call id cannot be known yet (and the decoder stops there).
            let prefixEnd = good.count + FramePrefix.byteCount
            let hint: UInt64? = (prefixEnd...prefixEnd + 1).contains(split) ? nil : 9
            #expect(refusal == .frameTooLarge(claimedBytes: 1001, limit: 1000, callIDHint: hint), "split at \(split)")
        }
    }

    @Test("an error thrown by the consumer stops decoding and propagates")
    func consumerError() throws {
        struct Stop: Error {}
        let (bytes, expected) = Self.makeStream()
        var decoder = FrameDecoder()
        bytes.withUnsafeBytes { decoder.append($0) }
        var seen = 0
        #expect(throws: Stop.self) {
            try decoder.decodeFrames { _, _ in
                seen += 1
                if seen == 2 { throw Stop() }
            }
        }
        #expect(seen == 2)
        // The frame whose consumer threw was handed out and is not delivered again.
        var rest: [Decoded] = []
        try decoder.decodeFrames { flags, payload in rest.append(Decoded(flags: flags, payload: Array(payload))) }
        #expect(rest == Array(expected.dropFirst(2)))
    }
}

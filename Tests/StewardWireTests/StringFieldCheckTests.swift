import StewardWire
import Testing

/// Every string field of a decoded message must be valid UTF-8 without NUL
/// (protobuf-c checks neither, and cuts a C string at a NUL). The check runs
/// inside the public `init(serializedBytes:)`, so that is what these tests use.
@Suite("String field check")
struct StringFieldCheckTests {
    typealias Entry = StewardRpcV1.MetadataEntry
    typealias Frame = StewardRpcV1.Frame

    /// Raw wire bytes of a MetadataEntry with `key` set to `bytes`, written by
    /// hand: tag 0x0A (field 1, wire type 2), a one-byte length, the bytes.
    static func entryWithKey(_ bytes: [UInt8]) -> [UInt8] {
        precondition(bytes.count < 128)
        return [0x0A, UInt8(bytes.count)] + bytes
    }

    /// `message` encoded, with the one occurrence of `marker` replaced by
    /// `bad` padded with "x" to the marker's length. The length stays the
    /// same, so every enclosing length prefix stays correct.
    static func encoded(_ message: some ProtoMessage, replacing marker: String, with bad: [UInt8]) -> [UInt8] {
        let bytes = message.serializedBytes()
        let needle = Array(marker.utf8)
        precondition(bad.count <= needle.count)
        let starts = (0...(bytes.count - needle.count)).filter { Array(bytes[$0..<$0 + needle.count]) == needle }
        precondition(starts.count == 1, "the marker must occur exactly once")
        var patched = bytes
        let replacement = bad + [UInt8](repeating: UInt8(ascii: "x"), count: needle.count - bad.count)
        patched.replaceSubrange(starts[0]..<starts[0] + needle.count, with: replacement)
        return patched
    }

    static let marker = "@@MARKER@@"

    /// Decodes `bytes` as `type` and returns the error it must throw.
    static func decodingError<M: ProtoMessage>(_ type: M.Type, _ bytes: [UInt8]) -> ProtoDecodingError? {
        do {
            _ = try M(serializedBytes: bytes)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Accepted

    @Test(
        "well-formed UTF-8 is accepted and decoded unchanged",
        arguments: [
            [],
            Array("plain ascii ~\u{7F}".utf8),
            [0xC2, 0x80],  // U+0080, smallest 2-byte
            [0xC3, 0xA9],  // é
            [0xDF, 0xBF],  // U+07FF, largest 2-byte
            [0xE0, 0xA0, 0x80],  // U+0800, smallest 3-byte
            [0xE2, 0x9C, 0x93],  // ✓
            [0xED, 0x9F, 0xBF],  // U+D7FF, just below the surrogates
            [0xEE, 0x80, 0x80],  // U+E000, just above the surrogates
            [0xEF, 0xBF, 0xBF],  // U+FFFF
            [0xF0, 0x90, 0x80, 0x80],  // U+10000, smallest 4-byte
            [0xF0, 0x9F, 0x98, 0x80],  // 😀
            [0xF4, 0x8F, 0xBF, 0xBF],  // U+10FFFF, the last code point
            Array("mixed é ✓ 😀 日本語 \u{10FFFF}".utf8),
        ] as [[UInt8]])
    func accepted(bytes: [UInt8]) throws {
        let entry = try Entry(serializedBytes: Self.entryWithKey(bytes))
        #expect(Array(entry.key.utf8) == bytes)
    }

    @Test("bytes fields are not strings: any bytes, NUL and 0xFF included, are accepted")
    func bytesFieldsUnchecked() throws {
        let frame = Frame(
            callID: 1, payload: [0x00, 0xFF, 0xC0, 0x80, 0xED, 0xA0, 0x80],
            status: .init(details: [.init(type: "t", value: [0x00, 0xFE])]))
        #expect(try Frame(serializedBytes: frame.serializedBytes()) == frame)
    }

    // MARK: Refused

    enum Kind: Sendable { case invalidUTF8, nul }

    @Test(
        "malformed UTF-8 and NUL are refused, naming the field",
        arguments: [
            // Overlong encodings.
            ([0xC0, 0x80], .invalidUTF8),  // NUL as 2 bytes
            ([0xC1, 0xBF], .invalidUTF8),
            ([0xE0, 0x80, 0x80], .invalidUTF8),
            ([0xE0, 0x9F, 0xBF], .invalidUTF8),  // U+07FF as 3 bytes
            ([0xF0, 0x80, 0x80, 0x80], .invalidUTF8),
            ([0xF0, 0x8F, 0xBF, 0xBF], .invalidUTF8),  // U+FFFF as 4 bytes
            // UTF-16 surrogates.
            ([0xED, 0xA0, 0x80], .invalidUTF8),  // U+D800
            ([0xED, 0xBF, 0xBF], .invalidUTF8),  // U+DFFF
            ([0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80], .invalidUTF8),  // a CESU-8 surrogate pair
            // Beyond U+10FFFF, and bytes that never occur.
            ([0xF4, 0x90, 0x80, 0x80], .invalidUTF8),  // U+110000
            ([0xF5, 0x80, 0x80, 0x80], .invalidUTF8),
            ([0xF8, 0x88, 0x80, 0x80, 0x80], .invalidUTF8),
            ([0xFE], .invalidUTF8),
            ([0xFF], .invalidUTF8),
            // Truncated sequences.
            ([0xC3], .invalidUTF8),
            ([0x61, 0xC3], .invalidUTF8),
            ([0xE2, 0x9C], .invalidUTF8),
            ([0xF0, 0x9F, 0x98], .invalidUTF8),
            ([0xE2, 0x9C, 0x61], .invalidUTF8),  // third byte not a continuation
            ([0xF0, 0x9F, 0x98, 0x61], .invalidUTF8),  // fourth byte not a continuation
            ([0xF0, 0x9F, 0x61, 0x80], .invalidUTF8),
            ([0xC3, 0xC3, 0xA9], .invalidUTF8),  // a lead byte where a continuation belongs
            // Lone continuation bytes.
            ([0x80], .invalidUTF8),
            ([0xBF], .invalidUTF8),
            ([0x61, 0x80, 0x62], .invalidUTF8),
            ([0xC3, 0xA9, 0xA9], .invalidUTF8),  // one continuation too many
            // Embedded NUL, which protobuf-c would treat as the end of the string.
            ([0x00], .nul),
            ([0x61, 0x00, 0x62], .nul),
            ([0x61, 0x62, 0x00], .nul),
        ] as [([UInt8], Kind)])
    func refused(bytes: [UInt8], kind: Kind) {
        let error = Self.decodingError(Entry.self, Self.entryWithKey(bytes))
        #expect(error?.fieldPath == "key")
        switch kind {
        case .invalidUTF8: #expect(error?.reason.contains("UTF-8") == true, "\(String(describing: error))")
        case .nul: #expect(error?.reason.contains("NUL") == true, "\(String(describing: error))")
        }
        // The description, which travels to the client, names the field too.
        #expect(error?.description.contains("key") == true)
    }

    @Test("the reason gives the offset of the bad byte, and never repeats the bytes")
    func reasonOffset() {
        let error = Self.decodingError(Entry.self, Self.entryWithKey(Array("secret\u{0}".utf8)))
        #expect(error == ProtoDecodingError(fieldPath: "key", reason: "contains a NUL character at byte 6"))
        #expect(error?.description.contains("secret") == false)
        let utf8 = Self.decodingError(Entry.self, Self.entryWithKey([0x61, 0x62, 0xFF]))
        #expect(utf8?.reason.contains("byte 2") == true)
    }

    @Test("the second field is checked as well as the first")
    func secondField() {
        // MetadataEntry { key "k"  value <0xFF> }: tags 0x0A and 0x12 written by hand.
        let bytes: [UInt8] = [0x0A, 0x01, 0x6B, 0x12, 0x01, 0xFF]
        #expect(Self.decodingError(Entry.self, bytes)?.fieldPath == "value")
    }

    @Test("every occurrence of a field is checked, not only the last, which protobuf-c keeps")
    func repeatedOccurrenceOfSingularField() {
        // key <0xFF>, then key "a": a decoder that keeps the last value would see "a".
        let bytes: [UInt8] = [0x0A, 0x01, 0xFF, 0x0A, 0x01, 0x61]
        #expect(Self.decodingError(Entry.self, bytes)?.fieldPath == "key")
    }

    // MARK: Nested and repeated paths

    @Test("a bad value in the second metadata entry of a Frame is metadata[1].value")
    func frameMetadataPath() {
        // Encode a good Frame whose metadata[1].value holds the marker, then
        // overwrite the marker's bytes in place with 0xC0 (never valid UTF-8).
        let frame = Frame(
            callID: 7, kind: .request, method: "/a.B/C",
            metadata: [.init(key: "a", value: "b"), .init(key: "k", value: Self.marker), .init(key: "c", value: "d")])
        let bytes = Self.encoded(frame, replacing: Self.marker, with: [0xC0])
        let error = Self.decodingError(Frame.self, bytes)
        #expect(error?.fieldPath == "metadata[1].value")
        #expect(error?.description.hasPrefix("field metadata[1].value: ") == true)
    }

    @Test("a NUL in the first metadata entry's key is metadata[0].key")
    func frameMetadataKeyPath() {
        // As above, the marker is overwritten with a NUL byte.
        let frame = Frame(metadata: [.init(key: Self.marker, value: "v")])
        let bytes = Self.encoded(frame, replacing: Self.marker, with: [0x00])
        #expect(Self.decodingError(Frame.self, bytes) == ProtoDecodingError(
            fieldPath: "metadata[0].key", reason: "contains a NUL character at byte 0"))
    }

    @Test("a bad status message in a Frame is status.message")
    func frameStatusPath() {
        // The marker in status.message is overwritten with a surrogate, ED A0 80.
        let frame = Frame(callID: 1, kind: .end, status: .init(code: 3, message: Self.marker))
        let bytes = Self.encoded(frame, replacing: Self.marker, with: [0xED, 0xA0, 0x80])
        #expect(Self.decodingError(Frame.self, bytes)?.fieldPath == "status.message")
    }

    @Test("a bad type in the second status detail is status.details[1].type")
    func frameStatusDetailPath() {
        let frame = Frame(status: .init(details: [.init(type: "ok"), .init(type: Self.marker, value: [1])]))
        let bytes = Self.encoded(frame, replacing: Self.marker, with: [0xF4, 0x90, 0x80, 0x80])
        #expect(Self.decodingError(Frame.self, bytes)?.fieldPath == "status.details[1].type")
    }

    @Test("a bad Frame method is method")
    func frameMethodPath() {
        let frame = Frame(callID: 1, kind: .request, method: Self.marker)
        let bytes = Self.encoded(frame, replacing: Self.marker, with: [0x80])
        #expect(Self.decodingError(Frame.self, bytes)?.fieldPath == "method")
    }

    @Test("a bad method name in the third MethodStats is methods[2].method")
    func serverStatsPath() {
        // Three MethodStats, the third one's method holding the marker; the
        // marker is overwritten with a truncated 3-byte sequence, E2 9C.
        let stats = StewardV1.ServerStatsResponse(
            uptimeMs: 1, openConnections: 2,
            methods: [
                .init(method: "/a.B/One", calls: 1, statuses: [.init(code: 0, count: 1)]),
                .init(method: "/a.B/Two", calls: 2),
                .init(method: Self.marker, calls: 3, statuses: [.init(code: 5, count: 3)]),
            ])
        let bytes = Self.encoded(stats, replacing: Self.marker, with: [0xE2, 0x9C])
        let error = Self.decodingError(StewardV1.ServerStatsResponse.self, bytes)
        #expect(error?.fieldPath == "methods[2].method")
    }

    @Test("repeated and oneof strings of the test proto are checked with their paths")
    func kitchenSinkPaths() {
        typealias Sink = StewardTestV1.KitchenSink
        let cases: [(Sink, String)] = [
            (Sink(rText: ["a", "b", Self.marker]), "r_text[2]"),
            (Sink(inner: .init(name: Self.marker)), "inner.name"),
            (Sink(rInner: [.init(), .init(), .init(), .init(name: Self.marker)]), "r_inner[3].name"),
            (Sink(choice: .choiceText(Self.marker)), "choice_text"),
            (Sink(choice: .choiceInner(.init(name: Self.marker))), "choice_inner.name"),
            (Sink(text: "t", default: Self.marker), "default"),
        ]
        for (sink, path) in cases {
            let bytes = Self.encoded(sink, replacing: Self.marker, with: [0xFF])
            #expect(Self.decodingError(Sink.self, bytes)?.fieldPath == path)
        }
    }

    // MARK: Malformed encodings and unknown fields

    @Test(
        "truncated or malformed wire bytes are refused as a whole, naming the message type",
        arguments: [
            [0x0A, 0x05, 0x61],  // key claims 5 bytes, 1 follows
            [0x0A],  // a tag with no length
            [0x0A, 0x80],  // a length varint cut short
            [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],  // a length near 2^64
            [0x80],  // a tag varint cut short
            [0x00, 0x00],  // field number 0
            [0x0B, 0x0C],  // a group (wire type 3), proto2 only
            [0x0E, 0x00],  // wire type 6 does not exist
            [0x18],  // unknown varint field 3 with no value
            [0x1D, 0x00, 0x00],  // unknown fixed32 field 3 cut short
            [0x19, 0x00, 0x00, 0x00, 0x00],  // unknown fixed64 field 3 cut short
            [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],  // an over-long tag
        ] as [[UInt8]])
    func malformed(bytes: [UInt8]) {
        let error = Self.decodingError(Entry.self, bytes)
        #expect(error?.fieldPath == "")
        #expect(error?.reason.contains("steward.rpc.v1.MetadataEntry") == true, "\(String(describing: error))")
    }

    @Test("a Frame whose call_id has the wrong wire type is refused, naming Frame")
    func wrongWireType() {
        // call_id (field 1) sent as length-delimited: tag 0x0A, length 1.
        let error = Self.decodingError(Frame.self, [0x0A, 0x01, 0x01])
        #expect(error?.fieldPath == "")
        #expect(error?.reason.contains("steward.rpc.v1.Frame") == true, "\(String(describing: error))")
    }

    @Test("a truncated nested message is refused as a whole")
    func truncatedNested() {
        // Frame { status (field 7, tag 0x3A) of 2 bytes: message (tag 0x12) claiming 5 bytes }.
        let error = Self.decodingError(Frame.self, [0x3A, 0x02, 0x12, 0x05])
        #expect(error?.fieldPath == "")
        #expect(error?.reason.contains("steward.rpc.v1.") == true, "\(String(describing: error))")
    }

    @Test("unknown fields of every wire type are tolerated, even with bad UTF-8 inside")
    func unknownFields() throws {
        // MetadataEntry { key "k" } followed by fields 9..12, none of which exist:
        let bytes: [UInt8] = [
            0x0A, 0x01, 0x6B,  // key "k"
            0x48, 0x96, 0x01,  // field 9, varint 150
            0x51, 1, 2, 3, 4, 5, 6, 7, 8,  // field 10, fixed64
            0x5D, 1, 2, 3, 4,  // field 11, fixed32
            0x62, 0x03, 0xFF, 0x00, 0xC0,  // field 12, length-delimited, not UTF-8
            0x12, 0x01, 0x76,  // value "v"
        ]
        #expect(try Entry(serializedBytes: bytes) == Entry(key: "k", value: "v"))
    }

    @Test("unknown fields inside a nested message are tolerated")
    func unknownNestedFields() throws {
        // Frame { call_id 5, status { code 3, field 15 "\xFF" } }
        let bytes: [UInt8] = [0x08, 0x05, 0x3A, 0x05, 0x08, 0x03, 0x7A, 0x01, 0xFF]
        let frame = try Frame(serializedBytes: bytes)
        #expect(frame == Frame(callID: 5, status: .init(code: 3)))
    }
}

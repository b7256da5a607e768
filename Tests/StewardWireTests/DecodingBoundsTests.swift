import StewardWire
import Testing

/// What a frame's bytes may cost before and while they are decoded: the
/// envelope scan that counts metadata without allocating, the per-call
/// budget protobuf-c allocates within, and the END/MESSAGE length a server
/// checks before sending.
@Suite("Decoding bounds")
struct DecodingBoundsUnitTests {
    static func frame(callID: UInt64, metadata: Int) -> [UInt8] {
        var frame = StewardRpcV1.Frame()
        frame.callID = callID
        frame.kind = .request
        frame.method = "/a.B/C"
        frame.metadata = (0..<metadata).map { StewardRpcV1.MetadataEntry(key: "k\($0)", value: "v") }
        frame.payload = [1, 2, 3]
        return frame.serializedBytes()
    }

    @Test("The envelope scan finds the call id and counts metadata entries and their bytes", arguments: [0, 1, 70])
    func envelope(entries: Int) {
        let bytes = Self.frame(callID: 1 << 40, metadata: entries)
        let envelope = bytes.withUnsafeBytes { FrameEnvelope.scan($0) }
        #expect(envelope.callID == 1 << 40)
        #expect(envelope.metadataEntries == entries)
        let expected = (0..<entries).reduce(0) { $0 + StewardRpcV1.MetadataEntry(key: "k\($1)", value: "v").serializedBytes().count }
        #expect(envelope.metadataBytes == expected)
    }

    @Test("The envelope scan stops at malformed bytes without trapping")
    func envelopeMalformed() {
        for bytes: [UInt8] in [[0x08], [0x2A, 0xFF, 0xFF], [0x08, 0x01, 0x2A, 0x05, 0x00], [0x0B], Array(repeating: 0xFF, count: 11)] {
            _ = bytes.withUnsafeBytes { FrameEnvelope.scan($0) }
        }
        let cut: [UInt8] = [0x08, 0x07, 0x2A, 0x00, 0x2A, 0x09]
        let envelope = cut.withUnsafeBytes { FrameEnvelope.scan($0) }
        #expect(envelope == FrameEnvelope(callID: 7, metadataEntries: 1, metadataBytes: 0))
    }

    @Test("Decoding within the budget succeeds; past it fails as RESOURCE_EXHAUSTED, naming the type")
    func budget() throws {
        let bytes = Self.frame(callID: 1, metadata: 1_000)
        #expect(try StewardRpcV1.Frame(serializedBytes: bytes).metadata.count == 1_000)
        // A thousand entries need a thousand structs and pointers: far over 4 KiB.
        #expect {
            try StewardRpcV1.Frame(serializedBytes: bytes, budget: 4_096)
        } throws: { error in
            let error = error as! ProtoDecodingError
            return error.isOverBudget && error.rpcError.code == .resourceExhausted
                && error.reason.contains("steward.rpc.v1.Frame") && error.reason.contains("4096")
        }
        // Not a valid encoding stays INVALID_ARGUMENT.
        #expect {
            try StewardRpcV1.Frame(serializedBytes: [0xFF, 0xFF, 0xFF], budget: 4_096)
        } throws: { error in
            (error as! ProtoDecodingError).rpcError.code == .invalidArgument
        }
    }

    @Test("END and MESSAGE lengths computed without encoding match the encoding", arguments: [0, 1, 127, 128, 16_383, 16_384, 70_000])
    func frameLengths(payloadCount: Int) {
        for callID: UInt64 in [1, 300, .max] {
            for (code, message) in [(StatusCode.ok, ""), (.resourceExhausted, "too much"), (.unauthenticated, String(repeating: "é", count: 200))] {
                let payload = [UInt8](repeating: 7, count: payloadCount)
                let end = FrameWriter.endFrame(callID: callID, code: code, message: message, payload: payload)
                #expect(FrameWriter.endFrameLength(callID: callID, code: code, message: message, payloadCount: payloadCount)
                    == end.serializedBytes().count)
            }
            var frame = StewardRpcV1.Frame()
            frame.callID = callID
            frame.kind = .message
            frame.payload = [UInt8](repeating: 7, count: payloadCount)
            #expect(FrameWriter.messageFrameLength(callID: callID, payloadCount: payloadCount) == frame.serializedBytes().count)
        }
    }
}

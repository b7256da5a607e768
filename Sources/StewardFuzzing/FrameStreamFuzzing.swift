import StewardServer
import StewardWire

/// Fuzz target 1: a client's byte stream as the daemon reads it.
///
/// The bytes after the first go through ``FrameDecoder`` with the daemon's
/// frame limit, in chunks whose sizes the first byte chooses (a socket hands
/// over any split), and every frame then goes through what `ServerConnection`
/// does with it, in its order and with its ``ServerLimits``: the metadata caps
/// read by ``FrameEnvelope/scan(_:)`` before decoding, then the `Frame`
/// decoded within `maxDecodedBytesPerMessage`.
///
/// Properties beyond not crashing: the same stream split differently gives
/// the same frames (and the same refusal of an oversized one); no frame is over the limit; the envelope the caps are
/// checked on agrees with the frame that is decoded (else the caps could be
/// dodged); a decoded frame survives re-encoding.
public enum FrameStreamFuzzing {
    static let limits = ServerLimits()

    /// What the daemon made of one frame.
    enum Verdict: Equatable {
        case overMetadataCaps
        case undecodable(StatusCode)
        case decoded(StewardRpcV1.Frame)
    }

    struct Reading: Equatable {
        var verdicts: [Verdict] = []
        /// The claim and limit of a frame refused as too large. (Its call id
        /// hint depends on how many bytes had arrived, so it is left out.)
        var refusedClaim: (claimed: Int, limit: Int)?

        static func == (lhs: Reading, rhs: Reading) -> Bool {
            lhs.verdicts == rhs.verdicts && lhs.refusedClaim?.claimed == rhs.refusedClaim?.claimed
                && lhs.refusedClaim?.limit == rhs.refusedClaim?.limit
        }
    }

    public static func run(_ input: UnsafeRawBufferPointer) {
        guard let split = input.first else { return }
        let stream = UnsafeRawBufferPointer(rebasing: input.dropFirst())
        let whole = read(stream, chunkSizes: [max(1, stream.count)])
        let chunked = read(stream, chunkSizes: chunkSizes(split))
        expect(whole == chunked, "a stream read in chunks gave other frames than read whole")
    }

    /// A repeating pattern of chunk sizes from 1 to 64 bytes.
    static func chunkSizes(_ split: UInt8) -> [Int] {
        let first = Int(split & 0x0F) + 1, second = Int(split >> 4) * 4 + 1
        return [first, second, first + second]
    }

    static func read(_ stream: UnsafeRawBufferPointer, chunkSizes: [Int]) -> Reading {
        var decoder = FrameDecoder(maxFrameBytes: limits.maxFrameBytes)
        var reading = Reading()
        var offset = 0, turn = 0, consumed = 0
        while offset < stream.count {
            let end = min(stream.count, offset + chunkSizes[turn % chunkSizes.count])
            decoder.append(UnsafeRawBufferPointer(rebasing: stream[offset..<end]))
            offset = end
            turn += 1
            do {
                try decoder.decodeFrames { flags, payload in
                    expect(payload.count <= limits.maxFrameBytes, "a frame of \(payload.count) bytes passed the limit")
                    consumed += FramePrefix.byteCount + payload.count
                    reading.verdicts.append(verdict(flags: flags, payload: payload))
                }
            } catch {
                guard case .frameTooLarge(let claimed, let limit, _) = error as? FramingError else {
                    expect(false, "FrameDecoder threw \(error)")
                    return reading
                }
                expect(claimed > limit, "a frame of \(claimed) bytes was refused with a limit of \(limit)")
                reading.refusedClaim = (claimed, limit)
                return reading
            }
            expect(decoder.bufferedByteCount == offset - consumed, "the decoder holds bytes it was not given")
        }
        return reading
    }

    static func verdict(flags: UInt8, payload: UnsafeRawBufferPointer) -> Verdict {
        let envelope = FrameEnvelope.scan(payload)
        if envelope.metadataEntries > limits.maxMetadataEntries || envelope.metadataBytes > limits.maxMetadataBytes {
            return .overMetadataCaps
        }
        let frame: StewardRpcV1.Frame
        do {
            frame = try StewardRpcV1.Frame(serializedBytes: payload, budget: limits.maxDecodedBytesPerMessage)
        } catch {
            return .undecodable(error.rpcError.code)
        }
        expect(envelope.metadataEntries == frame.metadata.count,
               "the envelope counted \(envelope.metadataEntries) metadata entries, the frame has \(frame.metadata.count)")
        expect((envelope.callID ?? 0) == frame.callID,
               "the envelope read call id \(String(describing: envelope.callID)), the frame has \(frame.callID)")
        let again = try? StewardRpcV1.Frame(serializedBytes: frame.serializedBytes())
        expect(again == frame, "a decoded frame did not survive re-encoding")
        return .decoded(frame)
    }
}

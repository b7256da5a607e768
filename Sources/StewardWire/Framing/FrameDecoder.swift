/// Cuts a byte stream, delivered in chunks of any size, into frames.
///
/// Memory stays bounded: a frame's length is checked against the limit as soon
/// as its prefix arrives, before any byte of its payload is stored, and only
/// bytes actually received are ever buffered — never the claimed size.
public struct FrameDecoder: Sendable {
    public let maxFrameBytes: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init(maxFrameBytes: Int = FramePrefix.defaultMaxFrameBytes) {
        self.maxFrameBytes = maxFrameBytes
    }

    /// Bytes received but not yet handed out as a complete frame.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// Hands every complete frame to `body`, in order, as its flags and a view
    /// of its payload that is valid only during the call.
    ///
    /// Throws ``FramingError`` as soon as a prefix claims too much; frames
    /// before it have been delivered.
    public mutating func decodeFrames(
        _ body: (_ flags: UInt8, _ payload: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let limit = maxFrameBytes
        var index = readIndex
        defer { readIndex = index }
        try buffer.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return }
            while all.count - index >= FramePrefix.byteCount {
                let prefix = base + index
                let length = FramePrefix.length(at: prefix)
                if length > limit {
                    let received = UnsafeBufferPointer(
                        start: prefix + FramePrefix.byteCount,
                        count: all.count - index - FramePrefix.byteCount)
                    throw FramingError.frameTooLarge(
                        claimedBytes: length, limit: limit,
                        callIDHint: Self.callIDHint(in: received))
                }
                guard all.count - index - FramePrefix.byteCount >= length else { return }
                let payload = UnsafeRawBufferPointer(
                    start: prefix + FramePrefix.byteCount, count: length)
                index += FramePrefix.byteCount + length
                try body(prefix[0], payload)
            }
        }
    }

    /// The call id of a `Frame` whose first bytes are `bytes`, when it can be
    /// known: encoders write field 1 (`call_id`, a varint) first.
    static func callIDHint(in bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard bytes.count >= 2, bytes[0] == 0x08 else { return nil }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for byte in bytes.dropFirst().prefix(10) {
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value == 0 ? nil : value }
            shift += 7
        }
        return nil
    }

    /// Drops consumed bytes once they are the larger part of the buffer, so
    /// a long-lived connection neither grows nor copies on every read.
    private mutating func compactIfWorthwhile() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 256 * 1024)
            readIndex = 0
        } else if readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}

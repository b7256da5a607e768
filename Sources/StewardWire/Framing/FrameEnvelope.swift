/// What a server learns from an encoded `Frame` by walking its top-level
/// fields, before protobuf-c allocates anything for it: the call id, and how
/// many metadata entries it carries and how many bytes they take.
///
/// Each metadata entry costs protobuf-c a struct and a pointer and Swift a
/// value with two strings, whatever its size on the wire (an empty entry is
/// two bytes), so a frame within the length limit could otherwise make the
/// daemon allocate a hundred times its size just to read it.
public struct FrameEnvelope: Equatable, Sendable {
    /// `call_id` (field 1), when it could be read.
    public var callID: UInt64?
    /// Occurrences of `metadata` (field 5).
    public var metadataEntries = 0
    /// Bytes of all `metadata` entries, keys and values with their tags.
    public var metadataBytes = 0

    public init(callID: UInt64? = nil, metadataEntries: Int = 0, metadataBytes: Int = 0) {
        self.callID = callID
        self.metadataEntries = metadataEntries
        self.metadataBytes = metadataBytes
    }

    /// Walks `bytes`; stops quietly at the first malformed field, leaving the
    /// verdict on the encoding to the decoder (the counts so far still stand).
    public static func scan(_ bytes: UnsafeRawBufferPointer) -> FrameEnvelope {
        var envelope = FrameEnvelope()
        var reader = WireReader(bytes)
        while !reader.isAtEnd {
            guard let key = reader.readVarint() else { break }
            let field = key >> 3
            let wireType = UInt8(key & 7)
            switch wireType {
            case 0 where field == 1:
                guard let value = reader.readVarint() else { return envelope }
                envelope.callID = value
            case 2:
                guard let value = reader.readLengthDelimited() else { return envelope }
                if field == 5 {
                    envelope.metadataEntries += 1
                    envelope.metadataBytes += value.count
                }
            default:
                guard reader.skip(wireType: wireType) else { return envelope }
            }
        }
        return envelope
    }
}

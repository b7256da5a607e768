/// The 5 bytes in front of every frame: a flags byte, then the length of the
/// encoded `steward.rpc.v1.Frame` as a big-endian `UInt32`.
public enum FramePrefix {
    public static let byteCount = 5

    /// Flag bit 0 means "compressed", which Steward does not support; any set
    /// bit makes the frame unacceptable.
    public static let compressedFlag: UInt8 = 0x01

    /// The default and the largest sensible value of a peer's frame limit.
    public static let defaultMaxFrameBytes = 4 * 1024 * 1024

    /// Appends a prefix for `length` payload bytes with no flags.
    @inlinable
    public static func append(length: Int, flags: UInt8 = 0, to buffer: inout [UInt8]) {
        precondition(length >= 0 && length <= Int(UInt32.max))
        let value = UInt32(length)
        buffer.append(flags)
        buffer.append(UInt8(truncatingIfNeeded: value >> 24))
        buffer.append(UInt8(truncatingIfNeeded: value >> 16))
        buffer.append(UInt8(truncatingIfNeeded: value >> 8))
        buffer.append(UInt8(truncatingIfNeeded: value))
    }

    /// Reads the length field of a prefix that starts at `base`.
    @inlinable
    static func length(at base: UnsafePointer<UInt8>) -> Int {
        Int(base[1]) << 24 | Int(base[2]) << 16 | Int(base[3]) << 8 | Int(base[4])
    }
}

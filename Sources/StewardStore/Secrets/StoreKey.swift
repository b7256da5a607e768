import Crypto

/// The 256-bit key that encrypts secrets at rest. Prints as `[REDACTED]`.
public struct StoreKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public static let byteCount = 32

    // Kept as bytes: swift-crypto's SymmetricKey is not Sendable.
    private let bytes: [UInt8]

    /// A key from exactly ``byteCount`` bytes, or nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// A new key from the system's random number generator.
    public static func random() -> StoreKey {
        let key = SymmetricKey(size: .bits256)
        return StoreKey(bytes: key.withUnsafeBytes { [UInt8]($0) })!
    }

    var symmetricKey: SymmetricKey { SymmetricKey(data: bytes) }

    /// The key's bytes, for writing the key file.
    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try bytes.withUnsafeBytes(body)
    }

    public var description: String { "[REDACTED]" }
    public var debugDescription: String { "[REDACTED]" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: nil) }
}

/// A password or other credential held in memory.
///
/// Every way Swift turns a value into text — interpolation, `description`,
/// `debugDescription`, `dump`, reflection — prints `[REDACTED]`, so a secret
/// cannot leak into a log line or a response by accident. The value is
/// reached only through ``exposedValue``, a name that stands out in review.
/// Deliberately not `Codable`: encoding must be an explicit choice.
///
/// The plaintext is held as bytes in a ``ZeroingBytes`` that wipes them
/// when the last copy of the secret goes; ``exposedValue`` makes a String
/// copy that Swift cannot wipe, so it is asked for only at the point of use.
public struct Secret: Sendable, Equatable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    private let storage: ZeroingBytes

    public init(_ value: String) {
        storage = ZeroingBytes(value.utf8)
    }

    /// Takes bytes already checked to be UTF-8 (a decrypted password).
    package init(utf8 bytes: [UInt8]) {
        storage = ZeroingBytes(bytes)
    }

    /// The plaintext, for the one place that needs it (connecting).
    public var exposedValue: String {
        storage.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// The plaintext bytes, for sealing, without a String copy.
    package func withExposedBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes(body)
    }

    public var description: String { "[REDACTED]" }
    public var debugDescription: String { "[REDACTED]" }

    /// No children, so `dump` and mirrors show the redacted description only.
    public var customMirror: Mirror {
        Mirror(self, children: [], displayStyle: nil)
    }

    /// Compares in time that depends on the lengths only, not on where the
    /// values first differ.
    public static func == (lhs: Secret, rhs: Secret) -> Bool {
        lhs.storage.withUnsafeBytes { left in
            rhs.storage.withUnsafeBytes { right in
                guard left.count == right.count else { return false }
                var difference: UInt8 = 0
                for index in left.indices { difference |= left[index] ^ right[index] }
                return difference == 0
            }
        }
    }
}

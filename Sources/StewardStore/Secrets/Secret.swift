/// A password or other credential held in memory.
///
/// Every way Swift turns a value into text — interpolation, `description`,
/// `debugDescription`, `dump`, reflection — prints `[REDACTED]`, so a secret
/// cannot leak into a log line or a response by accident. The value is
/// reached only through ``exposedValue``, a name that stands out in review.
/// Deliberately not `Codable`: encoding must be an explicit choice.
public struct Secret: Sendable, Equatable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    private let value: String

    public init(_ value: String) {
        self.value = value
    }

    /// The plaintext, for the one place that needs it (connecting, sealing).
    public var exposedValue: String { value }

    public var description: String { "[REDACTED]" }
    public var debugDescription: String { "[REDACTED]" }

    /// No children, so `dump` and mirrors show the redacted description only.
    public var customMirror: Mirror {
        Mirror(self, children: [], displayStyle: nil)
    }

    /// Compares in time that depends on the lengths only, not on where the
    /// values first differ.
    public static func == (lhs: Secret, rhs: Secret) -> Bool {
        let left = Array(lhs.value.utf8)
        let right = Array(rhs.value.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}

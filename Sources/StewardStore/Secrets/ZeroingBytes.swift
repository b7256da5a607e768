import Glibc

/// Plaintext secret bytes with one owner that overwrites them when done.
///
/// Swift arrays and strings may be copied by the runtime (copy on write,
/// bridging, reallocation when they grow) and give no way to wipe the
/// copies; this type keeps its bytes in one allocation of its own and wipes
/// it with `explicit_bzero` (which the compiler may not remove) in
/// `deinit`. What is handed out as `String` (``Secret/exposedValue``, a
/// libpq parameter) is a copy this type cannot reach: callers keep such
/// copies short-lived, and wipe the C copies they make (``withCStringArrays``).
package final class ZeroingBytes: @unchecked Sendable {
    // Never mutated after init (until deinit wipes it), so sharing is safe.
    private let buffer: UnsafeMutableRawBufferPointer

    package init<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer = .allocate(byteCount: max(1, bytes.count), alignment: 1)
        _ = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count]).initializeMemory(as: UInt8.self, from: bytes)
        count = bytes.count
    }

    package let count: Int

    package func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }

    deinit {
        if let base = buffer.baseAddress { explicit_bzero(base, buffer.count) }
        buffer.deallocate()
    }
}

extension Array where Element == UInt8 {
    /// Overwrites the array's bytes in place (a plaintext buffer that is no
    /// longer needed). Copies the array made earlier are out of reach.
    package mutating func wipe() {
        withUnsafeMutableBytes { bytes in
            if let base = bytes.baseAddress { explicit_bzero(base, bytes.count) }
        }
    }
}

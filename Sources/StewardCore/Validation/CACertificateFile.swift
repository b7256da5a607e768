import Foundation
import Glibc
import StewardPostgres

/// A connection's CA bundle in a private temporary file, because libpq reads
/// `sslrootcert` only from a file. Created 0600 (`mkstemp`) so no other user
/// reads or swaps it; ``remove()`` deletes it.
final class CACertificateFile {
    let path: String

    /// Writes the certificates of `pem` to a new file in the temporary
    /// directory. Only certificates: a bundle stored before `CABundle` kept
    /// it to them may hold a private key, which must not be copied to disk.
    init(pem bundle: String) throws(PostgresError) {
        let pem: String
        do { pem = try CABundle.certificates(in: bundle) } catch {
            throw PostgresError(kind: .tls, message: "the connection's CA bundle cannot be used (\(error.message)); update the connection")
        }
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("steward-ca-XXXXXX.pem").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 4) }
        guard fd >= 0 else { throw Self.failure("create", errno: errno) }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { Glibc.close(fd) }
        var bytes = Array(pem.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let code = errno
                unlink(path)
                throw Self.failure("write", errno: code)
            }
            bytes = bytes.dropFirst(written)
        }
    }

    func remove() {
        unlink(path)
    }

    private static func failure(_ action: String, errno code: Int32) -> PostgresError {
        PostgresError(kind: .tls, message: "could not \(action) a temporary file for the CA bundle: \(String(cString: strerror(code)))")
    }
}

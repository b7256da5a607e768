import Foundation
import Glibc
import StewardWire

/// A fresh private directory (0700) under /tmp, removed with everything in it.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/steward-store-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw SystemCallError("mkdtemp", errno: errno)
        }
        path = String(cString: created)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String { path + "/" + name }
}

/// The bytes of a file, or empty when it does not exist.
func fileBytes(_ path: String) -> [UInt8] {
    (FileManager.default.contents(atPath: path)).map { [UInt8]($0) } ?? []
}

func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws {
    unlink(path)
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else { throw SystemCallError("open", errno: errno) }
    defer { close(fd) }
    try bytes.withUnsafeBytes { buffer in
        guard write(fd, buffer.baseAddress, buffer.count) == buffer.count else {
            throw SystemCallError("write", errno: errno)
        }
    }
    fchmod(fd, mode)
}

func fileMode(_ path: String) -> mode_t {
    var status = stat()
    guard stat(path, &status) == 0 else { return 0 }
    return status.st_mode & 0o777
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if Array(self[start..<(start + needle.count)]) == needle { return true }
        }
        return false
    }
}

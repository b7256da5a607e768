import Glibc
import StewardWire

/// The file holding the store key: exactly 32 random bytes, mode 0600,
/// owned by the daemon's user.
package enum KeyFile {
    /// Whether anything exists at `path` (a dangling symlink counts).
    package static func exists(at path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 || errno != ENOENT
    }

    /// Reads the key, refusing a file that is missing, unreadable, open to
    /// group or others, owned by another user, or not exactly 32 bytes.
    /// Wraps `open`, `fstat` and `read`.
    package static func load(at path: String) throws(StoreError) -> StoreKey {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT {
                throw StoreError(.keyMissing, "the key file \(path) does not exist")
            }
            throw StoreError(
                .keyUnreadable,
                "cannot read the key file \(path): \(String(cString: strerror(code))); "
                    + "it must be readable by the user stewardd runs as")
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw StoreError(.keyUnreadable, "cannot inspect the key file \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw StoreError(.keyUnreadable, "the key file \(path) is not a regular file")
        }
        let mode = status.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw StoreError(
                .keyInsecure,
                "the key file \(path) is open to group or others (mode \(String(mode, radix: 8))); "
                    + "run chmod 600 \(path)")
        }
        guard status.st_uid == geteuid() else {
            throw StoreError(
                .keyInsecure,
                "the key file \(path) belongs to uid \(status.st_uid), not to uid \(geteuid()) that stewardd runs as")
        }
        // One byte more than a key, to tell "too long" from "exactly right".
        var bytes = [UInt8](repeating: 0, count: StoreKey.byteCount + 1)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw StoreError(
                    .keyUnreadable, "cannot read the key file \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            filled += count
        }
        guard filled == StoreKey.byteCount, let key = StoreKey(bytes: Array(bytes[..<filled])) else {
            let size = filled > StoreKey.byteCount ? "more than \(StoreKey.byteCount)" : "\(filled)"
            throw StoreError(
                .keyMalformed,
                "the key file \(path) holds \(size) bytes, not the \(StoreKey.byteCount) of a Steward key; "
                    + "restore this store's key file")
        }
        return key
    }

    /// Creates a new random key at `path`, mode 0600. The bytes go to a
    /// temporary file (O_CREAT | O_EXCL), are fsync'ed, and are linked into
    /// place, so a crash never leaves a partial key and an existing key is
    /// never replaced. Wraps `open`, `write`, `fsync`, `link` and `unlink`.
    package static func create(at path: String) throws(StoreError) -> StoreKey {
        let key = StoreKey.random()
        let temporary = "\(path).new-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0o600)
        guard fd >= 0 else {
            throw StoreError(
                .stateDirectoryUnusable,
                "cannot create the key file \(temporary): \(String(cString: strerror(errno)))")
        }
        do throws(SystemCallError) {
            defer { close(fd) }
            let bytes = key.withUnsafeBytes { [UInt8]($0) }
            var written = 0
            while written < bytes.count {
                written += try blockingSystemCall("write") {
                    bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                }
            }
            try blockingSystemCall("fsync") { fsync(fd) }
            try blockingSystemCall("link") { link(temporary, path) }
        } catch {
            unlink(temporary)
            throw StoreError(
                .stateDirectoryUnusable, "cannot create the key file \(path): \(error.call): \(error.reason)")
        }
        unlink(temporary)
        syncDirectory(of: path)
        return key
    }

    /// Makes the new directory entry durable. Wraps `fsync` on the directory.
    static func syncDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            .joined(separator: "/")
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

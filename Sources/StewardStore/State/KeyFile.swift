import Glibc
import StewardWire

/// The file holding the store key: exactly 32 random bytes, mode 0600,
/// owned by the daemon's user, reached only through the checked state
/// directory's descriptor and never through a symlink.
package enum KeyFile {
    /// Whether anything exists at `name` (a symlink, dangling or not, counts:
    /// loading it is then refused rather than a new key made beside it).
    package static func exists(_ name: String, in directory: CheckedDirectory) -> Bool {
        do { return try directory.entry(name) != nil } catch { return true }
    }

    /// Reads the key, refusing a file that is missing, unreadable, open to
    /// group or others, owned by another user, or not exactly 32 bytes.
    /// Wraps `openat(O_NOFOLLOW)`, `fstat` and `read`.
    package static func load(_ name: String, in directory: CheckedDirectory) throws(StoreError) -> StoreKey {
        let path = directory.displayPath(of: name)
        let fd: Int32
        do {
            fd = try directory.openFile(name, flags: O_RDONLY)
        } catch {
            if error.errno == ENOENT {
                throw StoreError(.keyMissing, "the key file \(path) does not exist")
            }
            if error.errno == ELOOP {
                throw StoreError(.keyInsecure, FileRefusal.symlink(path: path, what: "the key file"))
            }
            throw StoreError(
                .keyUnreadable,
                "cannot read the key file \(path): \(error.reason); "
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

    /// Creates a new random key named `name`, mode 0600. The bytes go to a
    /// temporary file (O_CREAT | O_EXCL, which never follows a symlink), are
    /// fsync'ed, and are linked into place, so a crash never leaves a partial
    /// key and an existing key is never replaced. Wraps `openat`, `write`,
    /// `fsync`, `linkat` and `unlinkat`.
    package static func create(_ name: String, in directory: CheckedDirectory) throws(StoreError) -> StoreKey {
        let key = StoreKey.random()
        let path = directory.displayPath(of: name)
        let temporary = "\(name).new-\(getpid())"
        try? directory.remove(temporary)
        let fd: Int32
        do {
            fd = try directory.openFile(temporary, flags: O_WRONLY | O_CREAT | O_EXCL)
        } catch {
            throw StoreError(
                .stateDirectoryUnusable,
                "cannot create the key file \(directory.displayPath(of: temporary)): \(error.reason)")
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
            try directory.link(temporary, as: name)
        } catch {
            try? directory.remove(temporary)
            throw StoreError(
                .stateDirectoryUnusable, "cannot create the key file \(path): \(error.call): \(error.reason)")
        }
        try? directory.remove(temporary)
        directory.sync()
        return key
    }
}

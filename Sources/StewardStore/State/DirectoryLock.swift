import Glibc
import StewardWire
import Synchronization

/// An exclusive `flock` on a lock file, held until ``release()`` or deinit.
///
/// flock locks belong to an open file description, so the lock is released
/// by the kernel when the process dies, however it dies, and a second
/// `DirectoryLock` on the same file conflicts even within one process.
final class DirectoryLock: Sendable {
    let path: String
    private let descriptor: Mutex<Int32?>

    /// Opens (creating 0600) and locks the lock file `name` in the checked
    /// state directory without waiting; on success writes this process's pid
    /// into it, for the message another daemon shows.
    ///
    /// The file is opened with `O_NOFOLLOW` and must be a regular file of
    /// ours with one link before it is truncated: a lock file planted as a
    /// symlink or hard link to another file would otherwise have the daemon
    /// (often root) overwrite that file. Wraps `openat`, `fstat`,
    /// `flock(LOCK_EX | LOCK_NB)` and `pwrite`.
    init(name: String, in directory: CheckedDirectory) throws(StoreError) {
        let path = directory.displayPath(of: name)
        self.path = path
        let fd: Int32
        do {
            fd = try directory.openFile(name, flags: O_RDWR | O_CREAT)
        } catch {
            throw StoreError(.stateDirectoryUnusable, FileRefusal.message(for: error, path: path, what: "the lock file"))
        }
        if let refusal = FileRefusal.check(fd: fd, path: path, what: "the lock file") {
            Glibc.close(fd)
            throw StoreError(.stateDirectoryUnusable, refusal)
        }
        do {
            try Self.lock(fd)
        } catch {
            let holder = Self.recordedPID(fd: fd)
            Glibc.close(fd)
            guard error.errno == EWOULDBLOCK else {
                throw StoreError(
                    .stateDirectoryUnusable, "cannot lock \(path): \(error.reason)")
            }
            throw StoreError(
                .stateDirectoryInUse,
                "the state directory \(directory.path) is in use by another stewardd"
                    + (holder.map { " (pid \($0))" } ?? "")
                    + "; stop it, or give this one another --state-dir")
        }
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        self.descriptor = Mutex(fd)
    }

    deinit {
        release()
    }

    /// `flock(LOCK_EX | LOCK_NB)`, tried for up to half a second: a process
    /// of ours that is being spawned holds a copy of the descriptor (close-
    /// on-exec closes it only at exec), and a daemon restarting right after
    /// its predecessor exits meets the same brief hold.
    private static func lock(_ fd: Int32) throws(SystemCallError) {
        var attempts = 0
        while true {
            do {
                try blockingSystemCall("flock") { flock(fd, LOCK_EX | LOCK_NB) }
                return
            } catch where error.errno == EWOULDBLOCK && attempts < 50 {
                attempts += 1
                usleep(10_000)
            }
        }
    }

    /// Closes the lock file, which releases the lock. Safe to call twice.
    func release() {
        descriptor.withLock { fd in
            if let open = fd { Glibc.close(open) }
            fd = nil
        }
    }

    /// The pid the holder wrote, if the file holds one.
    private static func recordedPID(fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        return Int32(text.split(separator: "\n").first ?? "")
    }
}

import Glibc

/// Why a directory cannot be trusted with the daemon's files. The
/// description names the directory and says what to do.
public struct DirectoryRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// A directory held open by descriptor after checking, on that descriptor,
/// that it is a directory, that the daemon's user owns it and that nobody
/// else may write in it.
///
/// Once checked, nobody but the daemon's user (and root) can add, rename or
/// replace entries in it, and every file in it is reached through the
/// descriptor (`openat`, `fstatat`, `linkat`, `unlinkat`, or `path(of:)` for
/// calls that only take a path), never through the path again: renaming a
/// parent, or swapping the path for a symlink after the check, cannot
/// redirect the daemon to another directory. Files are opened with
/// `O_NOFOLLOW`, so a symlink planted before the check (a lock file pointing
/// at /etc/shadow) is refused instead of followed.
///
/// Owns its descriptor: it is closed when the value goes away.
public final class CheckedDirectory: Sendable {
    /// The path the directory was opened by, for messages.
    public let path: String
    /// What the directory is, for messages: "state directory", "socket directory".
    public let role: String
    private let descriptor: Int32

    private init(path: String, role: String, descriptor: Int32) {
        self.path = path
        self.role = role
        self.descriptor = descriptor
    }

    deinit {
        Glibc.close(descriptor)
    }

    /// Opens `path` (creating it and its missing parents first if it does not
    /// exist) and checks it.
    ///
    /// A directory this call created gets exactly `mode` and, when given,
    /// `group`, set on the descriptor (`fchmod`, `fchown`) so that the umask
    /// does not change it. An existing one is used as it is, once checked.
    /// Missing parents get 0700.
    ///
    /// Wraps `mkdir`, `open(O_DIRECTORY)`, `fchmod`, `fchown` and `fstat`.
    public static func open(
        _ path: String, role: String, creatingWith mode: mode_t = 0o700, group: gid_t? = nil
    ) throws(DirectoryRefusal) -> CheckedDirectory {
        guard !path.isEmpty else { throw DirectoryRefusal("the \(role) path is empty") }
        let created = try makeMissing(path, role: role, mode: mode)
        // The directory's own name may be a symlink an administrator made
        // (/var/lib/steward -> /data/steward): what it leads to is checked
        // below, on the descriptor, and only the descriptor is used after.
        let fd: Int32
        do {
            fd = try blockingSystemCall("open") { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        } catch {
            throw DirectoryRefusal("cannot open the \(role) \(path): \(error.reason)")
        }
        let directory = CheckedDirectory(path: path, role: role, descriptor: fd)
        if created {
            do {
                try blockingSystemCall("fchmod") { fchmod(fd, mode) }
                if let group { try blockingSystemCall("fchown") { fchown(fd, uid_t.max, group) } }
            } catch {
                throw DirectoryRefusal("cannot set the mode of the new \(role) \(path): \(error.call): \(error.reason)")
            }
        }
        try directory.check()
        return directory
    }

    /// Creates `path` and its missing parents; true when the last one was
    /// made here.
    private static func makeMissing(_ path: String, role: String, mode: mode_t) throws(DirectoryRefusal) -> Bool {
        var status = stat()
        if (try? blockingSystemCall("stat") { stat(path, &status) }) != nil { return false }
        var prefix = path.hasPrefix("/") ? "" : "."
        let components = path.split(separator: "/")
        var created = false
        for (index, component) in components.enumerated() {
            prefix += "/" + component
            let isLast = index == components.count - 1
            do {
                // Only the owner may use it until the mode is set on the descriptor.
                try blockingSystemCall("mkdir") { mkdir(prefix, isLast ? mode & 0o700 : 0o700) }
                created = isLast
            } catch where error.errno == EEXIST {
                continue
            } catch {
                throw DirectoryRefusal("cannot create the \(role) \(prefix): \(error.reason)")
            }
        }
        return created
    }

    /// The rules, checked on the open descriptor so that they hold for the
    /// directory actually used.
    private func check() throws(DirectoryRefusal) {
        var status = stat()
        do {
            try blockingSystemCall("fstat") { fstat(descriptor, &status) }
        } catch {
            throw DirectoryRefusal("cannot inspect the \(role) \(path): \(error.reason)")
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw DirectoryRefusal("the \(role) \(path) is not a directory")
        }
        let user = geteuid()
        guard status.st_uid == user else {
            throw DirectoryRefusal(
                "the \(role) \(path) belongs to uid \(status.st_uid), not to uid \(user) that stewardd runs as; "
                    + "another user could replace the files in it: give it to uid \(user) (chown) or choose another directory")
        }
        let mode = status.st_mode & 0o7777
        guard mode & 0o022 == 0 else {
            throw DirectoryRefusal(
                "the \(role) \(path) is writable by group or others (mode \(String(mode, radix: 8))); "
                    + "run chmod go-w \(path)")
        }
    }

    /// `path/name`, for messages.
    public func displayPath(of name: String) -> String {
        path.hasSuffix("/") ? path + name : path + "/" + name
    }

    /// A path to `name` that is resolved through this directory's descriptor
    /// (`/proc/self/fd/N/name`), for calls that take only a path, such as
    /// `bind` and `connect` on a Unix socket: renaming or replacing the
    /// directory's path cannot redirect it. Valid while this value lives.
    public func descriptorPath(of name: String) -> String {
        "/proc/self/fd/\(descriptor)/\(name)"
    }

    /// The directory's path as the kernel knows it now, with no symlinks
    /// (`readlink` of `/proc/self/fd/N`), for libraries that open files by
    /// path and refuse symlinks anywhere in it (SQLite's
    /// `SQLITE_OPEN_NOFOLLOW`). Wraps `readlink`.
    public func resolvedPath() throws(SystemCallError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = try blockingSystemCall("readlink(/proc/self/fd)") {
            readlink("/proc/self/fd/\(descriptor)", &buffer, buffer.count - 1)
        }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// What is at `name` itself, a symlink not followed (`fstatat` with
    /// `AT_SYMLINK_NOFOLLOW`); nil when nothing is there.
    public func entry(_ name: String) throws(SystemCallError) -> stat? {
        var status = stat()
        do {
            try blockingSystemCall("fstatat(\(displayPath(of: name)))") {
                fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW)
            }
        } catch where error.errno == ENOENT {
            return nil
        }
        return status
    }

    /// Opens `name` in this directory with `O_NOFOLLOW | O_CLOEXEC |
    /// O_NOCTTY` added to `flags`: a symlink fails with ELOOP. The caller
    /// owns the descriptor. Wraps `openat`.
    public func openFile(_ name: String, flags: Int32, mode: mode_t = 0o600) throws(SystemCallError) -> Int32 {
        try blockingSystemCall("open(\(displayPath(of: name)))") {
            openat(descriptor, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode)
        }
    }

    /// Gives `existing` the second name `new`, failing if `new` exists. Wraps `linkat`.
    public func link(_ existing: String, as new: String) throws(SystemCallError) {
        try blockingSystemCall("link(\(displayPath(of: new)))") { linkat(descriptor, existing, descriptor, new, 0) }
    }

    /// Removes `name` (never what a symlink points to). Wraps `unlinkat`.
    public func remove(_ name: String) throws(SystemCallError) {
        try blockingSystemCall("unlink(\(displayPath(of: name)))") { unlinkat(descriptor, name, 0) }
    }

    /// Sets the group of `name` itself (a symlink is not followed). Wraps `fchownat`.
    public func setGroup(of name: String, to group: gid_t) throws(SystemCallError) {
        try blockingSystemCall("chown(\(displayPath(of: name)))") {
            fchownat(descriptor, name, uid_t.max, group, AT_SYMLINK_NOFOLLOW)
        }
    }

    /// Sets the mode of `name`. Wraps `fchmodat`; Linux has no variant that
    /// refuses a symlink, which is why this is for files this process has
    /// just made in a directory nobody else may write.
    public func setMode(of name: String, to mode: mode_t) throws(SystemCallError) {
        try blockingSystemCall("chmod(\(displayPath(of: name)))") { fchmodat(descriptor, name, mode, 0) }
    }

    /// Makes new entries durable. Wraps `fsync` on the directory.
    public func sync() {
        _ = fsync(descriptor)
    }
}

import Glibc
import StewardWire

/// The words for a file in the state directory that stewardd will not use,
/// shared by the lock file, the key file and the registry database.
enum FileRefusal {
    /// A failed open of `path`, `what` being "the lock file" or the like.
    /// ELOOP from `O_NOFOLLOW` means the name is a symlink.
    static func message(for error: SystemCallError, path: String, what: String) -> String {
        if error.errno == ELOOP { return symlink(path: path, what: what) }
        return "cannot open \(what) \(path): \(error.reason)"
    }

    static func symlink(path: String, what: String) -> String {
        "\(what) \(path) is a symbolic link; stewardd does not follow links in its state directory "
            + "(one could make it overwrite another file): remove the link"
    }

    /// Checks an opened file before it is written: a regular file, owned by
    /// the daemon's user, with no other name (a hard link to a file elsewhere
    /// would be written through just like a symlink). Returns the refusal,
    /// or nil when the file is fit. Wraps `fstat`.
    static func check(fd: Int32, path: String, what: String) -> String? {
        var status = stat()
        do {
            try blockingSystemCall("fstat") { fstat(fd, &status) }
        } catch {
            return "cannot inspect \(what) \(path): \(error.reason)"
        }
        guard status.st_mode & S_IFMT == S_IFREG else { return "\(what) \(path) is not a regular file" }
        guard status.st_uid == geteuid() else {
            return "\(what) \(path) belongs to uid \(status.st_uid), not to uid \(geteuid()) that stewardd runs as; "
                + "remove it"
        }
        guard status.st_nlink == 1 else {
            return "\(what) \(path) has \(status.st_nlink) names (hard links); stewardd writes only a file "
                + "with one: remove it"
        }
        return nil
    }

    /// Refuses a symlink at `name` before a library opens it by path.
    static func refuseSymlink(_ name: String, in directory: CheckedDirectory, what: String) throws(StoreError) {
        let status: stat?
        do {
            status = try directory.entry(name)
        } catch {
            throw StoreError(.stateDirectoryUnusable, "cannot inspect \(what) \(directory.displayPath(of: name)): \(error.reason)")
        }
        if let status, status.st_mode & S_IFMT == S_IFLNK {
            throw StoreError(.stateDirectoryUnusable, symlink(path: directory.displayPath(of: name), what: what))
        }
    }
}

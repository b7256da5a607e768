import Dispatch
import Glibc
import StewardWire

/// The daemon's listening socket: prepares its directory, replaces a stale
/// socket file (refusing a live one), binds with the documented modes, and
/// hands each accepted connection to `onAccept` on the accept queue.
final class SocketListener: @unchecked Sendable {
    private let configuration: ServerConfiguration
    private let fd: Int32
    /// Identifies the socket file this listener created, so that shutdown
    /// never removes a file another daemon put there since.
    private let socketInode: ino_t
    private let source: DispatchSourceRead
    private var isStopped = false

    init(
        configuration: ServerConfiguration, queue: DispatchQueue,
        onAccept: @escaping @Sendable (_ fd: Int32) -> Void
    ) throws(ServerStartError) {
        self.configuration = configuration
        let path = configuration.socketPath
        guard path.utf8.count <= UnixSocket.maxPathBytes else {
            throw .socketPathTooLong(path: path, limit: UnixSocket.maxPathBytes)
        }
        try Self.prepareDirectory(
            of: path, mode: configuration.socketDirectoryMode, group: configuration.socketGroupID)
        try Self.removeStaleSocket(at: path)

        let fd: Int32
        do { fd = try UnixSocket.makeStreamSocket(nonBlocking: true) } catch {
            throw .system(call: "socket", path: path, errno: error.errno)
        }
        do {
            try Self.bindAndListen(fd: fd, configuration: configuration)
        } catch {
            close(fd)
            throw error
        }
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            close(fd)
            throw .system(call: "stat", path: path, errno: code)
        }
        self.fd = fd
        self.socketInode = status.st_ino
        self.source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [fd] in
            Self.acceptAll(on: fd, onAccept)
        }
        source.setCancelHandler { [fd] in close(fd) }
        source.resume()
    }

    /// Stops accepting and removes the socket file. Call on the accept queue.
    func stop() {
        guard !isStopped else { return }
        isStopped = true
        source.cancel()
        var status = stat()
        if stat(configuration.socketPath, &status) == 0, status.st_ino == socketInode {
            unlink(configuration.socketPath)
        }
    }

    private static func acceptAll(on fd: Int32, _ onAccept: @Sendable (Int32) -> Void) {
        while true {
            do throws(SystemCallError) {
                switch try UnixSocket.accept(on: fd) {
                case .done(let client): onAccept(client)
                case .wouldBlock: return
                }
            } catch {
                // ECONNABORTED is a peer that left before accept; anything else
                // (EMFILE) repeats on the next readiness event.
                if error.errno != ECONNABORTED { return }
            }
        }
    }

    /// Creates the socket's directory with `mode` (and `group`, so that the
    /// socket group's members can reach the socket) when it is missing; its
    /// missing parents get 0700. An existing directory is used as it is.
    private static func prepareDirectory(of path: String, mode: mode_t, group: gid_t?) throws(ServerStartError) {
        let directory = parentDirectory(of: path)
        var status = stat()
        if stat(directory, &status) == 0 { return }
        var prefix = directory.hasPrefix("/") ? "" : "."
        let components = directory.split(separator: "/")
        for (index, component) in components.enumerated() {
            prefix += "/" + component
            let isLast = index == components.count - 1
            if mkdir(prefix, isLast ? mode : 0o700) != 0 && errno != EEXIST {
                throw .system(call: "mkdir", path: prefix, errno: errno)
            }
            // mkdir's mode is filtered by the umask; the documented mode is exact.
            if isLast && chmod(prefix, mode) != 0 {
                throw .system(call: "chmod", path: prefix, errno: errno)
            }
            if isLast, let group, chown(prefix, uid_t.max, group) != 0 {
                throw .system(call: "chown", path: prefix, errno: errno)
            }
        }
    }

    private static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// A socket file nobody answers on is left over from a daemon that did
    /// not shut down cleanly: remove it. One that answers is a live daemon.
    private static func removeStaleSocket(at path: String) throws(ServerStartError) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw .system(call: "lstat", path: path, errno: errno)
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else { throw .pathIsNotASocket(path: path) }
        do {
            let probe = try UnixSocket.connect(to: path)
            close(probe)
            throw ServerStartError.socketInUse(path: path)
        } catch let error as ServerStartError {
            throw error
        } catch let error as SystemCallError where error.errno == ECONNREFUSED || error.errno == ENOENT {
            if unlink(path) != 0 && errno != ENOENT {
                throw .system(call: "unlink", path: path, errno: errno)
            }
        } catch let error as SystemCallError where error.errno == EAGAIN {
            // A full listen backlog: somebody is serving.
            throw .socketInUse(path: path)
        } catch let error as SystemCallError {
            throw .system(call: "connect", path: path, errno: error.errno)
        } catch {
            throw .system(call: "connect", path: path, errno: EIO)
        }
    }

    /// Binds, sets the documented owner group and mode, then listens. Nobody
    /// can connect before listen(), so the modes are in place before anyone
    /// can use the socket.
    private static func bindAndListen(fd: Int32, configuration: ServerConfiguration) throws(ServerStartError) {
        let path = configuration.socketPath
        do {
            try UnixSocket.bind(fd, to: path)
        } catch let error as SystemCallError {
            throw .system(call: "bind", path: path, errno: error.errno)
        } catch {
            throw .system(call: "bind", path: path, errno: EINVAL)
        }
        if let group = configuration.socketGroupID, chown(path, uid_t.max, group) != 0 {
            throw .system(call: "chown", path: path, errno: errno)
        }
        if chmod(path, configuration.socketFileMode) != 0 {
            throw .system(call: "chmod", path: path, errno: errno)
        }
        if listen(fd, 512) != 0 {
            throw .system(call: "listen", path: path, errno: errno)
        }
    }
}

import Dispatch
import Glibc
import Logging
import StewardWire

/// The daemon's listening socket: checks (or creates) its directory, replaces
/// a stale socket file (refusing a live one), binds with the documented
/// modes, and hands each accepted connection to `onAccept` on the accept queue.
/// Or one somebody else made and bound (systemd's `stewardd.socket`, handed
/// over by socket activation), served the same way: its file belongs to
/// whoever bound it, who keeps it across restarts of the daemon, so `stop()`
/// closes the descriptor and never removes the file; its directory and
/// modes were set by them (`SocketMode=`, `SocketGroup=`, `RuntimeDirectoryMode=`).
///
/// When accept fails for lack of descriptors (EMFILE, ENFILE), the listener
/// stops accepting for ``descriptorBackoffMilliseconds`` instead of being
/// told again at once (the pending connection keeps the socket readable, so
/// retrying at once spins a core), logs the episode once, and tries again;
/// connected clients are served meanwhile. The readiness comes from the
/// process's ``SocketReactor``, armed again only after each round of
/// accepts, so a paused listener simply is not armed.
///
/// The socket file is made inside a ``CheckedDirectory``: owned by the
/// daemon's user and writable by nobody else, held by descriptor, and every
/// step on the file (probe, unlink, bind, chown, chmod) goes through that
/// descriptor, never through the configured path again. So no other user can
/// put a symlink where the socket goes and have the daemon (often root)
/// chown or chmod the file it points to, nor swap a parent directory between
/// the check and the bind.
final class SocketListener: @unchecked Sendable {
    /// The socket file this listener made; nil for an inherited socket.
    struct OwnedFile {
        /// The socket's directory, checked; kept open until the listener
        /// goes away, so that `stop()` removes the file in the directory
        /// that was checked.
        let directory: CheckedDirectory
        let name: String
        /// Identifies the file, so that shutdown never removes one another
        /// daemon put there since.
        let inode: ino_t
    }

    private let fd: Int32
    private let ownedFile: OwnedFile?
    private let queue: DispatchQueue
    private let logger: Logger
    private let onAccept: @Sendable (_ fd: Int32) -> Void
    private var watch: SocketWatch?
    private var isStopped = false
    /// Set while accept fails for lack of descriptors: the first failure's
    /// error, and how many rounds have failed since.
    private var starvation: (error: SystemCallError, rounds: Int)?

    /// How long accepting stops after accept found no descriptor free.
    static let descriptorBackoffMilliseconds = 100

    convenience init(
        configuration: ServerConfiguration, queue: DispatchQueue, logger: Logger,
        onAccept: @escaping @Sendable (_ fd: Int32) -> Void
    ) throws(ServerStartError) {
        let path = configuration.socketPath
        // Clients connect by this path, so it must fit a socket address even
        // though the daemon binds through its directory's descriptor.
        guard path.utf8.count <= UnixSocket.maxPathBytes else {
            throw .socketPathTooLong(path: path, limit: UnixSocket.maxPathBytes)
        }
        let (directoryPath, name) = Self.split(path)
        let directory: CheckedDirectory
        do {
            directory = try CheckedDirectory.open(
                directoryPath, role: "socket directory", creatingWith: configuration.socketDirectoryMode,
                group: configuration.socketGroupID)
        } catch {
            throw .unsafeDirectory(error.description)
        }
        try Self.removeStaleSocket(named: name, in: directory, path: path)

        let fd: Int32
        do { fd = try UnixSocket.makeStreamSocket(nonBlocking: true) } catch {
            throw .system(call: "socket", path: path, errno: error.errno)
        }
        let inode: ino_t
        do {
            inode = try Self.bindAndListen(fd: fd, name: name, in: directory, configuration: configuration)
        } catch {
            close(fd)
            throw error
        }
        try self.init(
            listening: fd, ownedFile: OwnedFile(directory: directory, name: name, inode: inode), path: path,
            queue: queue, logger: logger, onAccept: onAccept)
    }

    /// Serves `fd`, a listening, non-blocking `AF_UNIX` stream socket, owned
    /// from here on (closed when the listener stops); `ownedFile` is nil for
    /// a socket inherited from systemd.
    init(
        listening fd: Int32, ownedFile: OwnedFile?, path: String, queue: DispatchQueue, logger: Logger,
        onAccept: @escaping @Sendable (_ fd: Int32) -> Void
    ) throws(ServerStartError) {
        self.fd = fd
        self.ownedFile = ownedFile
        self.queue = queue
        self.logger = logger
        self.onAccept = onAccept
        do {
            watch = try SocketWatch(fd: fd, queue: queue, interest: .read) { [weak self] _ in self?.acceptAll() }
        } catch {
            // Every property is set by now, so `deinit` runs after this throw:
            // marked stopped, it does not close the descriptor a second time.
            isStopped = true
            close(fd)
            throw .system(call: "epoll_ctl", path: path, errno: error.errno)
        }
    }

    deinit {
        // A listener dropped without `stop()` (a server never shut down)
        // still gives its descriptor back.
        if !isStopped {
            watch?.remove()
            close(fd)
        }
    }

    /// Stops accepting and removes the socket file it made. Call on the accept queue.
    func stop() {
        guard !isStopped else { return }
        isStopped = true
        watch?.remove()
        watch = nil
        close(fd)
        if let ownedFile, let entry = try? ownedFile.directory.entry(ownedFile.name), entry.st_ino == ownedFile.inode {
            try? ownedFile.directory.remove(ownedFile.name)
        }
    }

    /// Accepts every pending connection, then waits for the next.
    private func acceptAll() {
        guard !isStopped else { return }
        while true {
            do throws(SystemCallError) {
                switch try UnixSocket.accept(on: fd) {
                case .done(let client):
                    onAccept(client)
                case .wouldBlock:
                    // The episode ends when every waiting client got in.
                    endStarvation()
                    rearm()
                    return
                }
            } catch where error.errno == ECONNABORTED {
                // A peer that left before accept.
                continue
            } catch where [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errno) {
                pauseForDescriptors(error)
                return
            } catch {
                logger.warning("accept failed", metadata: ["error": "\(error)"])
                rearm()
                return
            }
        }
    }

    private func rearm() {
        do { try watch?.arm(.read) } catch {
            logger.error("cannot watch the listening socket; no new connections", metadata: ["error": "\(error)"])
        }
    }

    /// Out of descriptors: stop accepting for a moment, say so once per
    /// episode, and try again.
    private func pauseForDescriptors(_ error: SystemCallError) {
        if let starvation {
            self.starvation = (starvation.error, starvation.rounds + 1)
        } else {
            starvation = (error, 1)
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            logger.warning(
                "out of file descriptors; pausing accept until some are free (connected clients are still served)",
                metadata: [
                    "error": "\(error)", "open_files_limit": "\(limit.rlim_cur)",
                    "pause_ms": "\(Self.descriptorBackoffMilliseconds)",
                ])
        }
        queue.asyncAfter(deadline: .now() + .milliseconds(Self.descriptorBackoffMilliseconds)) { [weak self] in
            self?.acceptAll()
        }
    }

    private func endStarvation() {
        guard let starvation else { return }
        self.starvation = nil
        logger.notice(
            "accepting connections again", metadata: ["paused_rounds": "\(starvation.rounds)"])
    }

    /// The socket's directory and the socket file's name in it.
    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[path.index(after: slash)...]))
    }

    /// A socket file nobody answers on is left over from a daemon that did
    /// not shut down cleanly: remove it. One that answers is a live daemon.
    private static func removeStaleSocket(
        named name: String, in directory: CheckedDirectory, path: String
    ) throws(ServerStartError) {
        let entry: stat?
        do { entry = try directory.entry(name) } catch {
            throw .system(call: "lstat", path: path, errno: error.errno)
        }
        guard let entry else { return }
        guard entry.st_mode & S_IFMT == S_IFSOCK else { throw .pathIsNotASocket(path: path) }
        do {
            let probe = try UnixSocket.connect(to: directory.descriptorPath(of: name))
            close(probe)
            throw ServerStartError.socketInUse(path: path)
        } catch let error as ServerStartError {
            throw error
        } catch let error as SystemCallError where error.errno == ECONNREFUSED || error.errno == ENOENT {
            do { try directory.remove(name) } catch where error.errno == ENOENT {} catch {
                throw .system(call: "unlink", path: path, errno: error.errno)
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

    /// Binds, sets the documented owner group and mode, then listens; returns
    /// the socket file's inode.
    ///
    /// Why no moment exists where the socket is more open than configured:
    /// - the mode is set on the descriptor before bind: Linux creates the
    ///   file with the socket inode's mode less the umask (`unix_bind`:
    ///   `SOCK_INODE(sock)->i_mode & ~current_umask()`), so the file is born
    ///   with at most `socketFileMode` (measured on this kernel: fchmod 0600
    ///   then bind gives 0600). A process-wide umask around bind would race
    ///   with every other thread's file creation, so it is not used;
    /// - the group change and the exact mode (when the umask took bits away)
    ///   follow, through the checked directory's descriptor, and only ever
    ///   narrow the group or restore bits the configuration asked for;
    /// - nobody can connect before `listen()` (connect gets ECONNREFUSED),
    ///   and listen comes last; and the directory (0750 by default, never
    ///   writable by others) is checked before any of it.
    private static func bindAndListen(
        fd: Int32, name: String, in directory: CheckedDirectory, configuration: ServerConfiguration
    ) throws(ServerStartError) -> ino_t {
        let path = configuration.socketPath
        let mode = configuration.socketFileMode
        do {
            try blockingSystemCall("fchmod") { fchmod(fd, mode) }
            // Bound through the directory's descriptor (/proc/self/fd/N/name):
            // the file lands in the directory that was checked, whatever has
            // happened to the path since.
            try UnixSocket.bind(fd, to: directory.descriptorPath(of: name))
            if let group = configuration.socketGroupID { try directory.setGroup(of: name, to: group) }
            guard let entry = try directory.entry(name), entry.st_mode & S_IFMT == S_IFSOCK else {
                throw SystemCallError("bind", errno: ENOENT)
            }
            if entry.st_mode & 0o7777 != mode { try directory.setMode(of: name, to: mode) }
            try blockingSystemCall("listen") { listen(fd, 512) }
            return entry.st_ino
        } catch let error as SystemCallError {
            // The call's name without the descriptor path it was given.
            throw .system(call: String(error.call.prefix { $0 != "(" }), path: path, errno: error.errno)
        } catch {
            throw .system(call: "bind", path: path, errno: EINVAL)
        }
    }
}

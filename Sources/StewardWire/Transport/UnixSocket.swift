import Glibc

/// The identity the kernel attaches to the peer of a Unix socket
/// (`SO_PEERCRED`). Nothing the peer sends can change it.
public struct PeerCredentials: Sendable, Hashable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// Thin wrappers over the socket calls Steward makes on `AF_UNIX` stream
/// sockets. Every descriptor they return is close-on-exec; the caller owns it.
public enum UnixSocket {
    /// The longest path `sockaddr_un.sun_path` holds, NUL excluded.
    public static var maxPathBytes: Int {
        MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
    }

    /// Calls `body` with a `sockaddr_un` for `path`.
    @discardableResult
    static func withAddress<R>(
        _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R
    ) throws -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count <= maxPathBytes, !bytes.contains(0) else {
            throw SystemCallError("socket path \"\(path)\"", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
            sunPath.copyBytes(from: bytes)
        }
        return try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// `socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC [| SOCK_NONBLOCK])`.
    public static func makeStreamSocket(nonBlocking: Bool) throws(SystemCallError) -> Int32 {
        var type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
        return try blockingSystemCall("socket") { socket(AF_UNIX, type, 0) }
    }

    /// Connects a blocking socket to `path` and then makes it non-blocking.
    /// Returns the connected descriptor.
    public static func connect(to path: String) throws -> Int32 {
        let fd = try makeStreamSocket(nonBlocking: false)
        do {
            try withAddress(path) { address, length in
                try blockingSystemCall("connect(\(path))") { Glibc.connect(fd, address, length) }
            }
            try setNonBlocking(fd)
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// `bind` to `path`.
    public static func bind(_ fd: Int32, to path: String) throws {
        try withAddress(path) { address, length in
            try blockingSystemCall("bind(\(path))") { Glibc.bind(fd, address, length) }
        }
    }

    /// `accept`s one pending connection as a non-blocking, close-on-exec
    /// descriptor. (Glibc's `accept4` is not visible to Swift without
    /// `_GNU_SOURCE`; the daemon execs nothing, so setting the flags right
    /// after is equivalent.)
    public static func accept(on fd: Int32) throws(SystemCallError) -> SyscallResult<Int32> {
        let result = try systemCall("accept") { Glibc.accept(fd, nil, nil) }
        guard case .done(let client) = result else { return result }
        do {
            try blockingSystemCall("fcntl(F_SETFD)") { fcntl(client, F_SETFD, FD_CLOEXEC) }
            try setNonBlocking(client)
        } catch {
            close(client)
            throw error
        }
        return result
    }

    /// `fcntl(F_SETFL, O_NONBLOCK)`.
    public static func setNonBlocking(_ fd: Int32) throws(SystemCallError) {
        let flags = try blockingSystemCall("fcntl(F_GETFL)") { fcntl(fd, F_GETFL) }
        try blockingSystemCall("fcntl(F_SETFL)") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// `getsockopt(SO_PEERCRED)`.
    public static func peerCredentials(of fd: Int32) throws(SystemCallError) -> PeerCredentials {
        // Glibc's `struct ucred` is not visible to Swift; this has its layout.
        struct UCred { var pid: pid_t = 0; var uid: uid_t = 0; var gid: gid_t = 0 }
        var credentials = UCred()
        var length = socklen_t(MemoryLayout<UCred>.size)
        try blockingSystemCall("getsockopt(SO_PEERCRED)") {
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length)
        }
        return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }
}

import Glibc
import StewardWire

/// Socket activation (`sd_listen_fds(3)`): systemd, or anything that starts
/// a daemon its way, binds the socket itself and hands it over as descriptor
/// 3, saying so with `LISTEN_FDS` and `LISTEN_PID`.
enum SystemdActivation {
    /// `SD_LISTEN_FDS_START`: the first handed-over descriptor.
    static let firstDescriptor: Int32 = 3

    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    /// The listening socket handed to this process, or nil when none was.
    ///
    /// The variables are meant for this process only (`LISTEN_PID` names
    /// it), so they are removed, as `sd_listen_fds(1)` does: nothing started
    /// later may take them for its own. The descriptor is checked to be what
    /// stewardd serves (a listening `AF_UNIX` stream socket), made
    /// close-on-exec and non-blocking.
    static func inheritedListener(environment: [String: String]) throws -> Int32? {
        guard let pidText = environment["LISTEN_PID"], let countText = environment["LISTEN_FDS"] else { return nil }
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        // Another process's variables, inherited through a shell: not ours.
        guard let pid = pid_t(pidText), pid == getpid() else { return nil }
        guard let count = Int32(countText), count >= 1 else {
            throw Refusal(description: "LISTEN_FDS=\(countText) is not a number of sockets")
        }
        guard count == 1 else {
            throw Refusal(description: "systemd handed over \(count) sockets; stewardd serves one (ListenStream= once in stewardd.socket)")
        }
        let fd = firstDescriptor
        try check(fd)
        do {
            try blockingSystemCall("fcntl(F_SETFD)") { fcntl(fd, F_SETFD, FD_CLOEXEC) }
            try UnixSocket.setNonBlocking(fd)
        } catch {
            throw Refusal(description: "the socket handed over on descriptor 3: \(error)")
        }
        return fd
    }

    private static func check(_ fd: Int32) throws {
        func option(_ name: Int32) throws -> Int32 {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, name, &value, &length) == 0 else {
                throw Refusal(description: "descriptor 3, handed over as a socket (LISTEN_FDS), is not one: "
                    + SystemCallError("getsockopt", errno: errno).reason)
            }
            return value
        }
        guard try option(SO_DOMAIN) == AF_UNIX, try option(SO_TYPE) == Int32(SOCK_STREAM.rawValue) else {
            throw Refusal(description: "the socket handed over on descriptor 3 is not a Unix stream socket; use ListenStream=/run/steward/steward.sock")
        }
        guard try option(SO_ACCEPTCONN) == 1 else {
            throw Refusal(description: "the socket handed over on descriptor 3 is not listening")
        }
    }

    /// The path the handed-over socket is bound to, for the log and
    /// Server.Info; nil for an unnamed or abstract socket.
    static func boundPath(of fd: Int32) -> String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        let path = withUnsafeBytes(of: address.sun_path) { raw in
            Array(raw.prefix(Int(length) - MemoryLayout<sa_family_t>.size).prefix { $0 != 0 })
        }
        guard !path.isEmpty else { return nil }
        return String(decoding: path, as: UTF8.self)
    }
}

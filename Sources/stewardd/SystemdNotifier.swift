import Glibc
import StewardWire

/// Tells the service manager how the daemon is doing (`sd_notify(3)`):
/// one datagram per state to the socket in `NOTIFY_SOCKET`, a path or, with
/// a leading `@`, a name in the abstract namespace. Without the variable it
/// does nothing, so stewardd run by hand is unaffected.
struct SystemdNotifier {
    /// The socket's address bytes for `sun_path` (abstract: a leading NUL).
    private let address: [UInt8]?

    init(environment: [String: String]) {
        guard let target = environment["NOTIFY_SOCKET"], !target.isEmpty,
              target.hasPrefix("/") || target.hasPrefix("@")
        else {
            address = nil
            return
        }
        var bytes = Array(target.utf8)
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
        address = bytes.count <= UnixSocket.maxPathBytes ? bytes : nil
        // Children must not talk to the manager in the daemon's name.
        unsetenv("NOTIFY_SOCKET")
    }

    /// READY=1: the socket is served and the store is open.
    func ready() throws(SystemCallError) { try send("READY=1\nSTATUS=serving") }

    /// STOPPING=1: draining has begun.
    func stopping() throws(SystemCallError) { try send("STOPPING=1\nSTATUS=draining") }

    private func send(_ state: String) throws(SystemCallError) {
        guard let address else { return }
        let fd = try blockingSystemCall("socket") {
            socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        defer { close(fd) }
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: address) }
        // An abstract name's length counts exactly; a path's stops at its NUL.
        let length = socklen_t(MemoryLayout<sa_family_t>.size + address.count + (address[0] == 0 ? 0 : 1))
        let message = Array(state.utf8)
        try blockingSystemCall("sendto(NOTIFY_SOCKET)") {
            withUnsafePointer(to: &socketAddress) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                    message.withUnsafeBytes { Int32(truncatingIfNeeded: sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), target, length)) }
                }
            }
        }
    }
}

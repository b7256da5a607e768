import Glibc

/// A loopback TCP port whose listener never accepts: the kernel completes
/// the handshake, then nothing answers — a hung server.
public final class SilentPort: @unchecked Sendable {
    private let fd: Int32
    public let port: Int

    public init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0, listen(fd, 8) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        precondition(bound == 0, "could not listen on loopback: errno \(errno)")
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

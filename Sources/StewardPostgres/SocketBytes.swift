import Glibc
import StewardModel

/// Waiting until a socket holds a number of bytes, without reading them
/// (they are libpq's to read). `poll` alone cannot do it: it reports a
/// socket readable as soon as one byte is there, so a partly arrived
/// message would make a loop around it spin.
enum SocketBytes {
    enum Wait: Equatable {
        case available
        /// The peer closed or the socket failed: libpq reads and reports it.
        case hungUp
        case timedOut
    }

    /// Linux's POLLRDHUP (peer closed its end), which Glibc's module leaves
    /// out (it is behind _GNU_SOURCE).
    static let readHangUp: Int16 = 0x2000

    static func wait(_ socket: Int32, until count: Int, deadline: Deadline) -> Wait {
        if !isUnixDomain(socket), let previous = setLowWater(socket, Int32(count)) {
            // TCP: with SO_RCVLOWAT at `count`, Linux reports the socket
            // readable only once `count` bytes are there (or on hang-up).
            defer { _ = setLowWater(socket, previous) }
            return pollOnce(socket, events: Int16(POLLIN) | readHangUp, deadline: deadline, step: nil)
        }
        // Unix sockets ignore SO_RCVLOWAT in poll: look again at growing
        // intervals (1 ms to 32 ms), waking at once if the peer hangs up.
        var step = 1
        while true {
            if available(socket) >= count { return .available }
            let outcome = pollOnce(socket, events: readHangUp, deadline: deadline, step: step)
            guard outcome == .available else { return outcome }
            step = min(step * 2, 32)
        }
    }

    /// One `poll`, bounded by the deadline (and by `step` milliseconds when
    /// given, which then counts as `available`: look again). Retries EINTR.
    private static func pollOnce(_ socket: Int32, events: Int16, deadline: Deadline, step: Int?) -> Wait {
        while true {
            let remaining = deadline.remainingMilliseconds
            guard remaining > 0 else { return .timedOut }
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let result = poll(&descriptor, 1, Int32(min(step ?? remaining, remaining, Int(Int32.max))))
            if result < 0 {
                if errno == EINTR { continue }
                return .hungUp
            }
            let failed: Int16 = readHangUp | Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)
            if descriptor.revents & failed != 0 { return .hungUp }
            if result > 0 || step != nil { return .available }
            return .timedOut
        }
    }

    /// Sets SO_RCVLOWAT, returning the value it had, or nil when it cannot.
    private static func setLowWater(_ socket: Int32, _ value: Int32) -> Int32? {
        var previous: Int32 = 1
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(socket, SOL_SOCKET, SO_RCVLOWAT, &previous, &size) == 0 else { return nil }
        var value = value
        guard setsockopt(socket, SOL_SOCKET, SO_RCVLOWAT, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else { return nil }
        return previous
    }

    private static func available(_ socket: Int32) -> Int {
        var count: Int32 = 0
        return ioctl(socket, UInt(FIONREAD), &count) == 0 ? Int(count) : 0
    }

    private static func isUnixDomain(_ socket: Int32) -> Bool {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let got = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return got == 0 && address.ss_family == sa_family_t(AF_UNIX)
    }
}

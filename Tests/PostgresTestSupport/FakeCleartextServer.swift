import Foundation
import Glibc

/// NOT PostgreSQL: a loopback TCP listener that speaks just enough of the
/// PostgreSQL v3 protocol to ask one client for its password in cleartext,
/// the request no real test server can be made to send while it also
/// speaks SCRAM. It answers an SSLRequest or GSSENCRequest with `N` (no
/// encryption), reads the StartupMessage, sends
/// AuthenticationCleartextPassword (`R`, code 3), then records the client's
/// next message (a PasswordMessage `p` with the password, if the client
/// sends one) or nothing, if the client hangs up. A connection that ends
/// before its StartupMessage (a client that wanted TLS and heard `N`) is
/// noted and the next one accepted; after the one with a StartupMessage, done.
public final class FakeCleartextServer: @unchecked Sendable {
    public let port: Int
    private let listener: Int32
    private let saslFirst: Bool
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var recorded: [UInt8] = []
    private var startup: [UInt8] = []
    private var encryptionRequests: [Int] = []

    /// - Parameter saslFirst: send an AuthenticationSASL request
    ///   (SCRAM-SHA-256, code 10) right before the cleartext one, in the
    ///   same write, as a server trying to slip the second past a client
    ///   that looks only at the first would.
    public init(saslFirst: Bool = false) {
        self.saslFirst = saslFirst
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listener
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0, listen(fd, 1) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        precondition(bound == 0, "could not listen on loopback: errno \(errno)")
        // accept gives up after 10 s when no (further) client comes.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        port = Int(UInt16(bigEndian: address.sin_port))
        // A thread of its own: it blocks in accept and recv.
        Thread { [self] in serve(); finished.signal() }.start()
    }

    deinit { close(listener) }

    /// What the client sent after the cleartext request, once it has sent
    /// its next message or hung up (bounded by a 10 s receive timeout).
    public func bytesAfterRequest() -> [UInt8] {
        finished.wait()
        finished.signal()
        return lock.withLock { recorded }
    }

    /// For each connection accepted, in order, how many SSLRequests or
    /// GSSENCRequests it sent (each answered `N`).
    public func encryptionRequestsPerConnection() -> [Int] {
        finished.wait()
        finished.signal()
        return lock.withLock { encryptionRequests }
    }

    /// The StartupMessage's body (protocol version and parameters).
    public func startupMessage() -> [UInt8] {
        finished.wait()
        finished.signal()
        return lock.withLock { startup }
    }

    private func serve() {
        // A few connections at most: one that wanted TLS, one in the clear.
        for _ in 0..<4 {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            defer { close(client) }
            if serve(client) { return }
        }
    }

    /// Serves one connection; false when it ended before a StartupMessage.
    private func serve(_ client: Int32) -> Bool {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var requests = 0
        defer { lock.withLock { encryptionRequests.append(requests) } }
        while true {
            guard let length = readLength(client), length >= 8, let body = readExactly(client, length - 4) else { return false }
            let code = bigEndian(body[0..<4])
            // SSLRequest, GSSENCRequest: no encryption here.
            if code == 80_877_103 || code == 80_877_104 {
                requests += 1
                guard sendAll(client, [UInt8(ascii: "N")]) else { return false }
                continue
            }
            lock.withLock { startup = body }
            break
        }
        let cleartextRequest: [UInt8] = [UInt8(ascii: "R"), 0, 0, 0, 8, 0, 0, 0, 3]
        // AuthenticationSASL: code 10, the mechanism list, an empty name ending it.
        let mechanisms = Array("SCRAM-SHA-256".utf8) + [0, 0]
        let saslRequest = [UInt8(ascii: "R")] + bigEndianBytes(8 + mechanisms.count) + [0, 0, 0, 10] + mechanisms
        guard sendAll(client, (saslFirst ? saslRequest : []) + cleartextRequest) else { return true }
        // The next message: type, length, body; or nothing when the client hangs up.
        guard let type = readExactly(client, 1) else { return true }
        lock.withLock { recorded = type }
        guard let length = readLength(client) else { return true }
        let body = length >= 4 ? readExactly(client, length - 4) ?? [] : []
        lock.withLock { recorded += bigEndianBytes(length) + body }
        return true
    }

    private func readLength(_ fd: Int32) -> Int? {
        readExactly(fd, 4).map { Int(bigEndian($0[...])) }
    }

    private func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        guard count <= 1 << 20 else { return nil }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return nil }
            filled += got
        }
        return bytes
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    private func bigEndian(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    private func bigEndianBytes(_ value: Int) -> [UInt8] {
        [UInt8((value >> 24) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}

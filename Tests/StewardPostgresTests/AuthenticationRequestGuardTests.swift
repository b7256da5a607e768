import Foundation
import Glibc
import StewardPostgres
import Testing

/// The guard on a real socket pair (loopback TCP, and a Unix socket pair):
/// a message that arrives in pieces is waited for and checked whole, within
/// the deadline. The "server" end here is the test writing bytes.
@Suite("The authentication-request guard waits for a split message", .timeLimit(.minutes(1)))
struct AuthenticationRequestGuardTests {
    enum Family: String, CaseIterable, Sendable { case tcp, unix }

    /// The SASL request and a cleartext one, as a server would slip it behind.
    static let messages: [UInt8] = {
        let mechanisms = Array("SCRAM-SHA-256".utf8) + [0, 0]
        return [UInt8(ascii: "R"), 0, 0, 0, UInt8(8 + mechanisms.count), 0, 0, 0, 10] + mechanisms
            + [UInt8(ascii: "R"), 0, 0, 0, 8, 0, 0, 0, 3]
    }()

    @Test("A cleartext request whose bytes come in two writes is still refused", arguments: Family.allCases)
    func splitRequestRefused(family: Family) throws {
        let (client, server) = try socketPair(family)
        defer { close(client); close(server) }
        write(server, Self.messages.prefix(3))
        // The rest comes from another thread, at whatever moment: the
        // outcome must not depend on whether the guard looked before it.
        let rest = Array(Self.messages.dropFirst(3))
        Thread { write(server, rest[...]) }.start()
        let error = #expect(throws: PostgresError.self) {
            try AuthenticationRequestGuard.checkWaitingMessages(on: client, deadline: .after(milliseconds: 10_000), server: "test")
        }
        #expect(error?.kind == .authentication)
        #expect(error?.message.contains("cleartext password") == true, "\(String(describing: error))")
    }

    @Test("A request that never completes is a timeout at the deadline, not a pass", arguments: Family.allCases)
    func partialTimesOut(family: Family) throws {
        let (client, server) = try socketPair(family)
        defer { close(client); close(server) }
        write(server, Self.messages.prefix(12))
        let started = Date()
        let error = #expect(throws: PostgresError.self) {
            try AuthenticationRequestGuard.checkWaitingMessages(on: client, deadline: .after(milliseconds: 300), server: "test")
        }
        #expect(error?.kind == .timeout)
        #expect(Date().timeIntervalSince(started) >= 0.25)
    }

    @Test("A peer that hangs up mid-message is left to libpq to report, at once", arguments: Family.allCases)
    func hangUpReturns(family: Family) throws {
        let (client, server) = try socketPair(family)
        defer { close(client); close(server) }
        write(server, Self.messages.prefix(12))
        shutdown(server, Int32(SHUT_WR))
        let started = Date()
        try AuthenticationRequestGuard.checkWaitingMessages(on: client, deadline: .after(milliseconds: 10_000), server: "test")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    struct SocketFailure: Error { let call: String; let code: Int32 }

    /// (the guard's end, the writing end)
    func socketPair(_ family: Family) throws -> (Int32, Int32) {
        switch family {
        case .unix:
            var fds: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw SocketFailure(call: "socketpair", code: errno) }
            return (fds[0], fds[1])
        case .tcp:
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(listener) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let connected = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                    guard bind(listener, pointer, length) == 0, listen(listener, 1) == 0,
                          getsockname(listener, pointer, &length) == 0 else { return -1 }
                    return connect(client, pointer, length)
                }
            }
            guard connected == 0 else { throw SocketFailure(call: "connect", code: errno) }
            let server = accept(listener, nil, nil)
            guard server >= 0 else { throw SocketFailure(call: "accept", code: errno) }
            return (client, server)
        }
    }
}

private func write(_ fd: Int32, _ bytes: ArraySlice<UInt8>) {
    let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    precondition(sent == bytes.count, "send: errno \(errno)")
}

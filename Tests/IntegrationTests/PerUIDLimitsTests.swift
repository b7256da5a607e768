import Foundation
import StewardCore
import StewardServer
import StewardWire
import Testing

/// Per-uid caps on connections and streams, with connection slots kept for
/// administrators: one unknown uid with 1,024 Health.Watch streams once took
/// every connection, locking administrators out.
@Suite("Per-uid limits", .timeLimit(.minutes(2)))
struct PerUIDLimitsTests {
    static let needsRoot: Comment = "this test connects as other uids (setresuid on one thread), so it must run as root (CI does)"
    /// Uids no account needs to own: the kernel reports whatever uid connected.
    static let strangerA: uid_t = 61_871
    static let strangerB: uid_t = 61_872

    /// A Steward user's uid (known to the directory below, no account needed).
    static let teammate: uid_t = 61_873

    /// Root and the daemon's uid as always, and `teammate` as a plain user.
    struct TeamDirectory: CallerDirectory {
        let administrators = AdministratorRule()
        let answersPromptly = true
        func identify(uid: UInt32) throws(DomainError) -> Caller {
            if administrators.covers(uid) { return .administrator(uid: uid) }
            return uid == PerUIDLimitsTests.teammate ? Caller(uid: uid, userName: "teammate") : .unknown(uid: uid)
        }
    }

    /// A server whose socket every uid can reach.
    static func start(_ limits: ServerLimits) throws -> TestServer {
        let server = try TestServer.start(limits: limits, callers: TeamDirectory()) { configuration in
            configuration.socketDirectoryMode = 0o755
            configuration.socketFileMode = 0o666
        }
        chmod(server.directory, 0o755)
        return server
    }

    /// Health.Check on `connection`: OK when the connection was admitted;
    /// a refused one answers END call 0 and closes.
    static func check(_ connection: RawConnection, callID: UInt64 = 1) async throws -> StewardRpcV1.Frame {
        // A refused connection may be closed before the request is written
        // (EPIPE); its END is read all the same.
        try? await connection.send(Frames.request(callID, GrpcHealthV1.Health.check, .init()))
        return try #require(try await connection.nextFrame(), "no answer")
    }

    static func connect(_ server: TestServer, as uid: uid_t) async throws -> RawConnection {
        RawConnection(adopting: try await ConnectAsUID.connect(to: server.socketPath, asUID: uid))
    }

    @Test("One uid gets its share of connections; many uids stop short of the administrators' reserve; root still gets in")
    func connections() async throws {
        try #require(getuid() == 0, Self.needsRoot)
        var limits = ServerLimits()
        limits.maxConnections = 24
        limits.reservedKnownCallerConnections = 8
        limits.maxConnectionsPerUID = 10
        let server = try Self.start(limits)
        var held: [RawConnection] = []

        for index in 1...10 {
            let connection = try await Self.connect(server, as: Self.strangerA)
            #expect(try await Self.check(connection).statusCode == .ok, "stranger A's connection \(index)")
            held.append(connection)
        }
        let overShare = try await Self.connect(server, as: Self.strangerA)
        let refusedA = try await Self.check(overShare)
        #expect(refusedA.callID == 0 && refusedA.statusCode == .resourceExhausted, "\(refusedA.statusMessage)")
        #expect(refusedA.statusMessage.contains("uid \(Self.strangerA)"), "\(refusedA.statusMessage)")

        // 24 - 8 kept for administrators = 16 for everyone else: B gets 6.
        for index in 1...6 {
            let connection = try await Self.connect(server, as: Self.strangerB)
            #expect(try await Self.check(connection).statusCode == .ok, "stranger B's connection \(index)")
            held.append(connection)
        }
        let overTotal = try await Self.connect(server, as: Self.strangerB)
        let refusedB = try await Self.check(overTotal)
        #expect(refusedB.callID == 0 && refusedB.statusCode == .resourceExhausted, "\(refusedB.statusMessage)")

        // The administrator (root, this process) takes the reserve.
        for index in 1...8 {
            let connection = try RawConnection(path: server.socketPath)
            #expect(try await Self.check(connection).statusCode == .ok, "root's connection \(index)")
            held.append(connection)
        }
        await server.stop()
    }

    @Test("A Steward user the daemon has recognised gets into the slots kept for known callers; strangers do not")
    func knownCallersShareTheReserve() async throws {
        try #require(getuid() == 0, Self.needsRoot)
        var limits = ServerLimits()
        limits.maxConnections = 12
        limits.reservedKnownCallerConnections = 4
        limits.maxConnectionsPerUID = 8
        let server = try Self.start(limits)
        var held: [RawConnection] = []

        // The teammate's first call (Server.Info needs a known caller) is
        // where the daemon learns, from its directory, who the uid is.
        let first = try await Self.connect(server, as: Self.teammate)
        try await first.send(Frames.request(1, StewardV1.Server.info, .init()))
        #expect(try await first.nextFrame()?.statusCode == .ok)
        held.append(first)

        // Strangers take what is not kept: 12 - 4 = 8, one of them the teammate's.
        for index in 1...7 {
            let connection = try await Self.connect(server, as: index <= 4 ? Self.strangerA : Self.strangerB)
            #expect(try await Self.check(connection).statusCode == .ok, "stranger connection \(index)")
            held.append(connection)
        }
        let stranger = try await Self.connect(server, as: Self.strangerB)
        #expect(try await Self.check(stranger).statusCode == .resourceExhausted, "a stranger reached the reserve")

        // The teammate still gets in, into the reserve.
        for index in 1...3 {
            let connection = try await Self.connect(server, as: Self.teammate)
            #expect(try await Self.check(connection).statusCode == .ok, "teammate's connection \(index)")
            held.append(connection)
        }
        // And the last kept slot is still there for root.
        let administrator = try RawConnection(path: server.socketPath)
        #expect(try await Self.check(administrator).statusCode == .ok)
        await server.stop()
    }

    @Test("One uid's Health.Watch streams stop at its cap; an administrator's Watch is still served")
    func streams() async throws {
        try #require(getuid() == 0, Self.needsRoot)
        var limits = ServerLimits()
        limits.maxStreamsPerUID = 4
        let server = try Self.start(limits)
        let watch = GrpcHealthV1.Health.watch.path

        let stranger = try await Self.connect(server, as: Self.strangerA)
        for callID in UInt64(1)...4 {
            try await stranger.send(Frames.request(callID, watch))
            let first = try #require(try await stranger.nextFrame())
            #expect(first.callID == callID && first.kind == .message, "watch \(callID): \(first.statusMessage)")
        }
        try await stranger.send(Frames.request(5, watch))
        let refused = try #require(try await stranger.nextFrame())
        #expect(refused.callID == 5 && refused.kind == .end && refused.statusCode == .resourceExhausted, "\(refused.statusMessage)")
        // Its other calls are not affected.
        #expect(try await Self.check(stranger, callID: 6).statusCode == .ok)

        // A second connection of the same uid shares the cap.
        let again = try await Self.connect(server, as: Self.strangerA)
        try await again.send(Frames.request(1, watch))
        #expect(try await again.nextFrame()?.statusCode == .resourceExhausted)

        let administrator = try RawConnection(path: server.socketPath)
        for callID in UInt64(1)...8 {
            try await administrator.send(Frames.request(callID, watch))
            #expect(try await administrator.nextFrame()?.kind == .message, "root's watch \(callID)")
        }

        // Ending a stream gives its slot back.
        try await stranger.send(Frames.cancel(1))
        #expect(try await stranger.nextFrame()?.statusCode == .cancelled)
        try await stranger.send(Frames.request(7, watch))
        #expect(try await stranger.nextFrame()?.kind == .message)
        await server.stop()
    }
}

import Dispatch
import Glibc
import Logging
import StewardCore
import StewardWire

/// A Steward daemon's RPC server: a Unix socket, its connections, and the
/// routes it serves. Health and Server are always served; callers add theirs.
///
/// Lifecycle: `start()`, then `shutDown()` once (SIGTERM / SIGINT in stewardd).
public final class StewardServer: Sendable {
    private let runtime: ServerRuntime
    private let acceptQueue = DispatchQueue(label: "steward.accept")
    private let listener = ListenerSlot()

    /// - Parameter router: the application's routes; the built-in services
    ///   are added to them.
    ///   - callers: who is known; unknown callers may call only the methods
    ///     their ``RoutePolicy`` opens to anyone.
    ///   - audit: where denials of mutating methods to unknown callers are
    ///     recorded (the services record everything else they do).
    public init(
        configuration: ServerConfiguration, router: Router = Router(),
        callers: any CallerDirectory = DaemonAdministrators(), audit: AuditTrail? = nil, logger: Logger
    ) {
        var router = router
        HealthService.register(in: &router)
        ServerService.register(in: &router)
        self.runtime = ServerRuntime(
            configuration: configuration, router: router, admission: CallAdmission(callers: callers, audit: audit),
            logger: logger)
    }

    /// Every method path this server routes, sorted.
    public var methodPaths: [String] { runtime.router.methodPaths }

    /// What each routed method needs and whether it is audited, as its
    /// route declared (docs/permissions.md publishes it).
    public var permissions: [String: MethodPermissions.Rule] { runtime.router.permissions }

    public var socketPath: String { runtime.configuration.socketPath }

    /// Binds the socket (or takes the inherited one) and starts accepting connections.
    public func start() throws(ServerStartError) {
        let runtime = self.runtime
        let onAccept: @Sendable (Int32) -> Void = { fd in Self.accept(fd, runtime: runtime) }
        let created: any ListeningSocket
        if let inherited = runtime.configuration.inheritedListener {
            created = InheritedSocketListener(fd: inherited, queue: acceptQueue, onAccept: onAccept)
        } else {
            created = try SocketListener(configuration: runtime.configuration, queue: acceptQueue, onAccept: onAccept)
        }
        listener.set(created)
        runtime.logger.info(
            "listening",
            metadata: ["socket": "\(runtime.configuration.socketPath)", "version": "\(StewardVersion.current)"])
    }

    /// Drains and stops: stops accepting and removes the socket file (one it
    /// made, never an inherited one), refuses
    /// new calls UNAVAILABLE, lets calls in flight finish within the grace
    /// period, answers the rest UNAVAILABLE, then closes every connection.
    public func shutDown() async {
        let runtime = self.runtime
        acceptQueue.sync { listener.take()?.stop() }
        runtime.beginDraining()
        let inFlight = runtime.callsInFlight
        runtime.logger.info("shutting down", metadata: ["calls_in_flight": "\(inFlight)"])

        let finishedInTime = await runtime.waitForCallsToFinish(
            withinMilliseconds: runtime.configuration.drainGraceMilliseconds)
        if !finishedInTime {
            runtime.logger.warning(
                "grace period over; ending the remaining calls UNAVAILABLE",
                metadata: ["calls_in_flight": "\(runtime.callsInFlight)"])
        }
        for connection in runtime.allConnections {
            connection.shutDown()
        }
        // Let the last answers (UNAVAILABLE for calls past the grace period)
        // reach their clients before the process exits; a client that reads
        // nothing cannot hold the daemon up for long.
        if await !runtime.waitForConnectionsToClose(withinMilliseconds: 2_000) {
            runtime.logger.warning("some connections did not take their last answers; closing them")
            for connection in runtime.allConnections { connection.forceClose() }
        }
        runtime.logger.info("stopped")
    }

    private static func accept(_ fd: Int32, runtime: ServerRuntime) {
        let peer: PeerCredentials
        do {
            peer = try UnixSocket.peerCredentials(of: fd)
        } catch {
            runtime.logger.warning("dropping a connection without peer credentials", metadata: ["error": "\(error)"])
            close(fd)
            return
        }
        let admitted = runtime.admitConnection(uid: peer.uid) { id in
            ServerConnection(id: id, fd: fd, peer: peer, runtime: runtime)
        }
        let connection: ServerConnection
        switch admitted {
        case .success(let admittedConnection):
            connection = admittedConnection
        case .failure(let refusal):
            runtime.statistics.recordConnection(accepted: false)
            refuse(fd, refusal, runtime: runtime)
            return
        }
        runtime.statistics.recordConnection(accepted: true)
        runtime.logger.debug(
            "connection accepted",
            metadata: ["connection": "\(connection.id)", "peer_uid": "\(peer.uid)", "peer_pid": "\(peer.pid)"])
        connection.start()
    }

    /// Tells a connection over the limit why, as a connection-level END,
    /// then closes it. Best effort: the socket is new, so its buffer has room.
    private static func refuse(_ fd: Int32, _ refusal: RPCError, runtime: ServerRuntime) {
        let (code, message) = (refusal.code, refusal.message)
        let bytes = FrameWriter.encode(FrameWriter.endFrame(callID: 0, code: code, message: message))
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(fd)
        runtime.logger.notice("refused a connection", metadata: ["reason": "\(message)"])
    }
}

/// Holds the listener between start and shutdown; touched on the accept queue
/// and in `start`, before any connection exists.
private final class ListenerSlot: @unchecked Sendable {
    private var listener: (any ListeningSocket)?
    func set(_ listener: any ListeningSocket) { self.listener = listener }
    func take() -> (any ListeningSocket)? {
        defer { listener = nil }
        return listener
    }
}

import Dispatch
import Glibc
import Logging
import StewardCore
import StewardWire
import Synchronization

/// A Steward daemon's RPC server: a Unix socket, its connections, and the
/// routes it serves. Health and Server are always served; callers add theirs.
///
/// Lifecycle: `start()`, then `shutDown()` once (SIGTERM / SIGINT in stewardd).
public final class StewardServer: Sendable {
    private let runtime: ServerRuntime
    private let acceptQueue = DispatchQueue(label: "steward.accept")
    private let listener = ListenerSlot()
    private let dependencyWatches = Mutex<[DependencyWatch]>([])

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

    /// Reports `service` in Health as SERVING while `probe` says yes and
    /// NOT_SERVING while it says no, asking every `interval` from a thread
    /// of its own until shutdown (the shared registry:
    /// `steward.v1.Registry`). `probe` must bound its own wait.
    public func watchDependency(
        _ service: String, every interval: Duration, probe: @escaping @Sendable () -> Bool
    ) {
        let runtime = self.runtime
        runtime.health.setDependency(service, serving: true)
        let watch = DependencyWatch(interval: interval, probe: probe) { answers in
            runtime.health.setDependency(service, serving: answers)
            if answers {
                runtime.logger.notice("dependency answering again", metadata: ["service": "\(service)"])
            } else {
                runtime.logger.warning("dependency not answering; reported NOT_SERVING", metadata: ["service": "\(service)"])
            }
        }
        dependencyWatches.withLock { $0.append(watch) }
        watch.start()
    }

    /// Binds the socket (or takes the inherited one) and starts accepting connections.
    public func start() throws(ServerStartError) {
        let runtime = self.runtime
        Self.raiseDescriptorLimit(runtime: runtime)
        let onAccept: @Sendable (Int32) -> Void = { fd in Self.accept(fd, runtime: runtime) }
        let created: SocketListener
        if let inherited = runtime.configuration.inheritedListener {
            created = try SocketListener(
                listening: inherited, ownedFile: nil, path: runtime.configuration.socketPath,
                queue: acceptQueue, logger: runtime.logger, onAccept: onAccept)
        } else {
            created = try SocketListener(
                configuration: runtime.configuration, queue: acceptQueue, logger: runtime.logger, onAccept: onAccept)
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
        for watch in dependencyWatches.withLock({ $0 }) { watch.stop() }
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

    /// Raises the open-file limit toward its hard limit and says what it
    /// is, warning when it leaves fewer descriptors than the connection
    /// limit needs (accept then pauses when they run out; see SocketListener).
    private static func raiseDescriptorLimit(runtime: ServerRuntime) {
        let (before, after) = DescriptorLimit.raiseSoftLimit()
        let maxConnections = runtime.configuration.limits.maxConnections
        runtime.logger.info(
            "open file limit", metadata: ["limit": "\(after)", "raised_from_soft": "\(before.soft)"])
        // A few dozen for the store, the registry's sessions, logs and PostgreSQL work.
        let spare = 64
        if after.soft != DescriptorLimit.unlimited, after.soft < rlim_t(maxConnections + spare) {
            runtime.logger.warning(
                "the open file limit is below what the connection limit needs; clients beyond it wait until descriptors free up",
                metadata: ["open_file_limit": "\(after.soft)", "max_connections": "\(maxConnections)"])
        }
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
    private var listener: SocketListener?
    func set(_ listener: SocketListener) { self.listener = listener }
    func take() -> SocketListener? {
        defer { listener = nil }
        return listener
    }
}

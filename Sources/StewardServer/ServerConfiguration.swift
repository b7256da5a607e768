import Glibc

/// Limits a daemon enforces, each with the reason it exists.
public struct ServerLimits: Sendable, Equatable {
    /// Largest frame accepted; a larger one is refused before it is read.
    public var maxFrameBytes = 4 * 1024 * 1024
    /// Calls one connection may have in flight; more are RESOURCE_EXHAUSTED.
    public var maxCallsInFlightPerConnection = 256
    /// Open connections; more are answered RESOURCE_EXHAUSTED and closed.
    public var maxConnections = 1024
    /// Answers queued for a peer that is not reading. Past it the connection
    /// stops reading new requests and streaming handlers wait, so a client
    /// that never reads holds at most this plus its calls' last answers.
    public var maxBufferedBytesPerConnection = 8 * 1024 * 1024
    /// A connection with no call in flight and no byte moved for this long is
    /// closed, as is one stalled half way through a frame.
    public var idleTimeoutMilliseconds = 300_000
    /// Metadata entries one frame may carry, and their bytes on the wire.
    /// Counted before the frame is decoded (each entry costs far more memory
    /// than its bytes); more is RESOURCE_EXHAUSTED for the call, as gRPC
    /// answers a header list over its limit. 8 KiB is gRPC's default.
    public var maxMetadataEntries = 64
    public var maxMetadataBytes = 8 * 1024
    /// Memory protobuf-c may allocate to unpack one frame or one request;
    /// past it the call is RESOURCE_EXHAUSTED. Four frames' worth: real
    /// requests unpack to about their size, crafted ones to a hundred times.
    public var maxDecodedBytesPerMessage = 16 * 1024 * 1024
    /// Connections one uid may hold, except root and the daemon's own uid,
    /// so that one local account cannot take every connection.
    public var maxConnectionsPerUID = 64
    /// Of `maxConnections`, the last this many are kept for known callers:
    /// root, the daemon's uid, and uids whose calls the registry has
    /// recognised as Steward users (``RecentlyKnownCallers``), so that many
    /// unknown accounts together cannot lock the team out.
    public var reservedKnownCallerConnections = 16
    /// Server-streaming calls (Health.Watch, Sync) one uid may have in
    /// flight across its connections, except root and the daemon's uid: each
    /// holds a task and a watcher for as long as the client likes.
    public var maxStreamsPerUID = 64

    public init() {}
}

/// Where and how a daemon listens.
public struct ServerConfiguration: Sendable {
    /// Path of the Unix socket.
    public var socketPath: String
    /// A listening socket handed to the daemon (systemd socket activation):
    /// served instead of binding `socketPath`, whose file is then left alone.
    public var inheritedListener: Int32?
    /// Group that owns the socket file (nil: the daemon's group).
    public var socketGroupID: gid_t?
    /// Mode of the socket's directory when the daemon creates it. An
    /// existing directory must belong to the daemon's user and be writable
    /// by nobody else, or the daemon refuses to start.
    public var socketDirectoryMode: mode_t = 0o750
    /// Mode of the socket file: owner and group may connect.
    public var socketFileMode: mode_t = 0o660
    public var limits = ServerLimits()
    /// How long calls in flight may finish after SIGTERM before they are
    /// answered UNAVAILABLE.
    public var drainGraceMilliseconds = 10_000
    /// Reported by Server.Info.
    public var storeBackend = "none"
    /// Gauges read at each Server.Metrics call, besides the server's own.
    public var gaugeSources: [GaugeSource] = []
    /// Where this server's metrics are kept: shared by reference with the
    /// rechecks and enforcement its owner runs.
    public var metrics = ServerMetrics()

    public init(socketPath: String) {
        self.socketPath = socketPath
    }
}

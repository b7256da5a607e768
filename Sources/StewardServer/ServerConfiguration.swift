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

    public init() {}
}

/// Where and how a daemon listens.
public struct ServerConfiguration: Sendable {
    /// Path of the Unix socket.
    public var socketPath: String
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

    public init(socketPath: String) {
        self.socketPath = socketPath
    }
}

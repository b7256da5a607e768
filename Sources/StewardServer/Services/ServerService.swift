import Dispatch
import Glibc
import StewardWire

/// `steward.v1.Server`: what this daemon is, how it is doing, and who asks.
enum ServerService {
    /// The steward.rpc.v1 framing version this build speaks.
    static let protocolVersion: UInt32 = 1

    /// Read once: `getpid` is a system call in glibc (no cached value), and
    /// Server.Info, the daemon's most common read, would otherwise make one
    /// per call; the daemon never forks after it starts.
    private static let processID = UInt32(getpid())

    static func register(in router: inout Router) {
        router.registerInline(StewardV1.Server.info, policy: .requires(.knownCaller)) { _, context in
            let runtime = try context.requireRuntime()
            let configuration = runtime.configuration
            var limits = StewardV1.ServerLimits()
            limits.maxFrameBytes = UInt32(configuration.limits.maxFrameBytes)
            limits.maxCallsInFlightPerConnection = UInt32(configuration.limits.maxCallsInFlightPerConnection)
            limits.maxConnections = UInt32(configuration.limits.maxConnections)
            limits.maxBufferedBytesPerConnection = UInt32(configuration.limits.maxBufferedBytesPerConnection)
            limits.idleTimeoutMs = UInt32(configuration.limits.idleTimeoutMilliseconds)
            var info = StewardV1.ServerInfoResponse()
            info.version = StewardVersion.current
            info.uptimeMs = runtime.uptimeMilliseconds
            info.storeBackend = configuration.storeBackend
            info.limits = limits
            info.socketPath = configuration.socketPath
            info.pid = processID
            info.protocolVersion = protocolVersion
            return info
        }
        router.registerInline(StewardV1.Server.stats, policy: .requires(.knownCaller)) { _, context in
            let runtime = try context.requireRuntime()
            var stats = StewardV1.ServerStatsResponse()
            stats.uptimeMs = runtime.uptimeMilliseconds
            stats.openConnections = UInt32(runtime.openConnectionCount)
            stats.acceptedConnections = runtime.statistics.acceptedConnections
            stats.refusedConnections = runtime.statistics.refusedConnections
            stats.callsInFlight = UInt32(runtime.callsInFlight)
            stats.methods = runtime.statistics.methodStats
            return stats
        }
        router.registerRead(StewardV1.Server.metrics, policy: .requires(.knownCaller)) { _, context in
            let runtime = try context.requireRuntime()
            return StewardV1.ServerMetricsResponse(text: runtime.metricsText)
        }
        // A task, not inline: the account name comes from the system's user
        // database, which may ask a directory service over the network.
        router.register(StewardV1.Server.whoAmI, policy: .requires(.anyone)) { _, context in
            let runtime = try context.requireRuntime()
            // WhoAmI is open to anyone, so admission did not look the caller up.
            let caller = try runtime.admission.callers.identify(uid: context.peer.uid)
            var response = StewardV1.WhoAmIResponse()
            response.uid = context.peer.uid
            response.gid = context.peer.gid
            response.pid = UInt32(bitPattern: context.peer.pid)
            response.osUserName = osUserName(of: context.peer.uid) ?? ""
            response.isDaemonAdmin = runtime.administrators.covers(context.peer.uid)
            response.userName = caller.userName ?? ""
            response.permissions = PermissionMapping.messages(caller.permissions)
            response.isKnown = caller.isKnown
            return response
        }
    }

    /// The account name of `uid` from the system's user database.
    static func osUserName(of uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let status = getpwuid_r(uid, &entry, &buffer, buffer.count, &result)
        guard status == 0, let result, let name = result.pointee.pw_name else { return nil }
        return String(cString: name)
    }
}

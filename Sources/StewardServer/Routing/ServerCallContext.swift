import Dispatch
import Logging
import StewardCore
import StewardModel
import StewardWire

/// What a handler knows about the call it is serving.
public struct ServerCallContext: Sendable {
    /// The method path, such as `/steward.v1.Server/WhoAmI`.
    public var method: String
    /// Who is calling, as the kernel reports it.
    public var peer: PeerCredentials
    /// Who the daemon knows the peer to be. Looked up for every method that
    /// needs a known caller; for methods open to anyone it carries the uid
    /// alone (shown as unknown).
    public var caller: Caller
    /// When the call's deadline passes (monotonic), if it has one.
    public var deadline: Deadline?
    /// The REQUEST frame's headers.
    public var metadata: [StewardRpcV1.MetadataEntry]
    /// A logger carrying the call's method, call id and peer uid. Made
    /// when asked for: most calls log nothing, and the metadata would cost
    /// every call a few allocations.
    public var logger: Logger {
        get {
            var logger = baseLogger
            logger[metadataKey: "method"] = "\(method)"
            if let callID { logger[metadataKey: "call_id"] = "\(callID)" }
            return logger
        }
        set {
            baseLogger = newValue
            callID = nil
        }
    }
    /// The connection's logger (its id and the peer's uid).
    private var baseLogger: Logger
    /// The call's id on its connection, for the log.
    var callID: UInt64?
    /// The daemon serving the call, for the built-in services that report on it.
    var runtime: ServerRuntime?
    /// Set for a mutating method: where a request refused before its
    /// service saw it (undecodable, a bad string) is still audited.
    var mutationAudit: AuditTrail?
    /// What a mutating call's audit events name, read from its decoded
    /// request by its route's policy.
    var auditTarget: AuditTarget?
    /// What protobuf-c may allocate to unpack the request (the server's
    /// `maxDecodedBytesPerMessage`).
    public var decodingBudget = ProtoDecodingBudget.defaultBytes

    public init(
        method: String, peer: PeerCredentials, deadline: Deadline? = nil,
        metadata: [StewardRpcV1.MetadataEntry] = [], logger: Logger
    ) {
        self.method = method
        self.peer = peer
        self.caller = .unknown(uid: peer.uid)
        self.deadline = deadline
        self.metadata = metadata
        self.baseLogger = logger
    }

    /// Time left before the deadline, in milliseconds (nil: no deadline; 0:
    /// already passed). Database work under the call carries this into libpq.
    public var remainingMilliseconds: UInt64? {
        guard let deadline else { return nil }
        let now = DispatchTime.now().uptimeNanoseconds
        return deadline.uptimeNanoseconds > now ? (deadline.uptimeNanoseconds - now) / 1_000_000 : 0
    }
}

extension ServerCallContext {
    /// The admitted call as its service audits it: the caller, this method,
    /// and the target the route's policy read from the request.
    public var auditedCall: AuditedCall {
        AuditedCall(caller: caller, method: method, target: auditTarget?.target, connectionKey: auditTarget?.connectionKey)
    }

    /// This context with the audit target `policy` reads from `request`.
    func auditing<Request>(_ request: Request, under policy: RoutePolicy<Request>) -> ServerCallContext {
        var context = self
        context.auditTarget = policy.auditTarget?(request)
        return context
    }

    /// Records a mutating call whose request was refused before it reached
    /// its service, which would otherwise have audited it.
    func auditRejectedRequest(_ error: RPCError) {
        mutationAudit?.record(method, caller, target: nil, connectionKey: nil, status: error.code, message: error.message)
    }
}

/// A mutating call as the server admitted it: who is calling, and what its
/// audit event names — the method and target its route declared. Services
/// audit under it and never name a wire path themselves: the route is the
/// one place that knows the method and reads the target from the request.
public struct AuditedCall: Sendable {
    public var caller: Caller
    /// The method path, such as `/steward.v1.Users/Grant`.
    public var method: String
    /// What the call acts on, such as a connection key or a user name.
    public var target: String?
    /// The connection the call concerns, if any (for filtering).
    public var connectionKey: String?

    public init(caller: Caller, method: String, target: String?, connectionKey: String? = nil) {
        self.caller = caller
        self.method = method
        self.target = target
        self.connectionKey = connectionKey
    }
}

import StewardStore

/// A SetMapping request as the caller gave it, checked by the service once
/// the caller is known to be allowed.
public struct MappingRequest: Sendable, Hashable {
    public var userName: String
    /// nil: the user's default.
    public var connectionKey: String?
    /// nil: a kind the API did not recognise.
    public var kind: Identity.Kind?
    public var value: String

    public init(userName: String, connectionKey: String?, kind: Identity.Kind?, value: String) {
        self.userName = userName
        self.connectionKey = connectionKey
        self.kind = kind
        self.value = value
    }
}

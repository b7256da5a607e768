import StewardWire

/// What a caller needs to call a method.
public enum MethodPermission: String, Sendable, CaseIterable {
    /// Anyone who can reach the socket, known or not.
    case anyone = "anyone"
    /// A known caller: a Steward user, root, or the daemon's own uid.
    case knownCaller = "known caller"
    /// A known caller holding APPLICATION_ADMIN.
    case applicationAdmin = "APPLICATION_ADMIN"
    /// A known caller holding USER_ADMIN.
    case userAdmin = "USER_ADMIN"
    /// A known caller holding either permission.
    case eitherAdmin = "APPLICATION_ADMIN or USER_ADMIN"
    /// A known caller for their own records; USER_ADMIN for anyone's.
    case selfOrUserAdmin = "known caller (own); USER_ADMIN (anyone's)"
}

/// What each routed method needs, and which change the registry (and so are
/// audited, allowed or denied). Derived from the routes' ``RoutePolicy``
/// declarations (``Router/permissions``); docs/permissions.md publishes it
/// and a test keeps the two in step.
public enum MethodPermissions {
    public struct Rule: Sendable, Hashable {
        public var needs: MethodPermission
        /// Changes the registry: every call, allowed or denied, is audited.
        public var isMutating: Bool
    }
}

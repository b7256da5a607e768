import StewardWire

/// What a route needs of its caller and how its calls are audited, declared
/// where the route is registered (the permission table and
/// docs/permissions.md are derived from these declarations).
public struct RoutePolicy<Request: ProtoMessage>: Sendable {
    public let needs: MethodPermission
    /// For a method that changes the registry: what its events name, read
    /// from the request. Used for a denial decided at admission, after the
    /// decision, so it reads strings only and converts nothing.
    let auditTarget: (@Sendable (Request) -> AuditTarget)?

    /// A method that changes nothing: not audited.
    public static func requires(_ needs: MethodPermission) -> Self {
        Self(needs: needs, auditTarget: nil)
    }

    /// A method that changes the registry: every call, allowed or denied,
    /// is audited, naming what `target` reads from the request.
    public static func requires(
        _ needs: MethodPermission, audited target: @escaping @Sendable (Request) -> AuditTarget
    ) -> Self {
        Self(needs: needs, auditTarget: target)
    }

    var rule: MethodPermissions.Rule {
        MethodPermissions.Rule(needs: needs, isMutating: auditTarget != nil)
    }
}

/// What an audit event names: the thing a call acted on and the connection
/// it concerned (for filtering), as its service records them.
public struct AuditTarget: Sendable, Hashable {
    public var target: String?
    public var connectionKey: String?

    /// A call on a connection: the key is both.
    public static func connection(_ key: String) -> Self { Self(target: key, connectionKey: key) }
    /// A call on a user, and on one of their mappings' connections if any.
    public static func user(_ name: String, connection: String? = nil) -> Self {
        Self(target: name, connectionKey: connection.flatMap { $0.isEmpty ? nil : $0 })
    }
    /// A call on many things at once.
    public static let none = Self(target: nil, connectionKey: nil)
}

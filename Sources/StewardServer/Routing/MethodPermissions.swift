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

/// The one table of what every method needs, and which methods change the
/// registry (and so are audited, allowed or denied); docs/permissions.md
/// publishes it and a test keeps the two, and every routed method, in step.
///
/// The framework answers UNAUTHENTICATED for unknown callers; the services
/// check the permissions themselves (and audit their denials with the
/// call's target), and a test calls every method as a user without
/// permissions to hold them to this table.
public enum MethodPermissions {
    public struct Rule: Sendable, Hashable {
        public var needs: MethodPermission
        /// Changes the registry: every call, allowed or denied, is audited.
        public var isMutating: Bool
    }

    public static let table: [String: Rule] = {
        typealias Connections = StewardV1.Connections
        typealias Users = StewardV1.Users
        var table: [String: Rule] = [:]
        func declare(_ needs: MethodPermission, mutating: Bool = false, _ methods: any RPCMethodDescription...) {
            for method in methods { table[method.path] = Rule(needs: needs, isMutating: mutating) }
        }
        declare(.anyone, GrpcHealthV1.Health.check, GrpcHealthV1.Health.watch, StewardV1.Server.whoAmI)
        declare(.knownCaller, StewardV1.Server.info, StewardV1.Server.stats)
        declare(.knownCaller, Connections.get, Connections.list, Connections.getSetupScript)
        declare(
            .applicationAdmin, mutating: true, Connections.register, Connections.update, Connections.validate,
            Connections.completeSetup, Connections.deactivate, Connections.activate, Connections.delete,
            Connections.rotateCredentials, Connections.sync)
        declare(.knownCaller, StewardV1.DataSources.list, StewardV1.DataSources.get)
        declare(.knownCaller, Users.get, Users.list)
        declare(.selfOrUserAdmin, Users.listMappings)
        declare(.userAdmin, Users.checkMappings)
        declare(
            .userAdmin, mutating: true, Users.create, Users.grant, Users.revoke, Users.delete, Users.setMapping,
            Users.removeMapping, Users.importMappings)
        declare(.eitherAdmin, StewardV1.Audit.list)
        return table
    }()

    /// What `path` needs; a method missing from the table needs a known
    /// caller, so that forgetting a declaration never opens a method up.
    public static func rule(for path: String) -> Rule {
        table[path] ?? Rule(needs: .knownCaller, isMutating: false)
    }
}

import Glibc
import StewardWire

/// What a caller needs to call a method.
public enum MethodPermission: String, Sendable, CaseIterable {
    /// Anyone who can reach the socket, known or not.
    case anyone = "anyone"
    /// A known caller: a Steward user (today: root or the daemon's own uid).
    case knownCaller = "known caller"
    /// A known caller holding APPLICATION_ADMIN (checked by the domain, which
    /// also audits denials).
    case applicationAdmin = "APPLICATION_ADMIN"
}

/// The one table of what every method needs; docs/permissions.md publishes
/// it and a test keeps the two, and every routed method, in step.
public enum MethodPermissions {
    public static let table: [String: MethodPermission] = {
        typealias Connections = StewardV1.Connections
        var table: [String: MethodPermission] = [
            GrpcHealthV1.Health.check.path: .anyone,
            GrpcHealthV1.Health.watch.path: .anyone,
            StewardV1.Server.whoAmI.path: .anyone,
            StewardV1.Server.info.path: .knownCaller,
            StewardV1.Server.stats.path: .knownCaller,
            Connections.get.path: .knownCaller,
            Connections.list.path: .knownCaller,
            Connections.getSetupScript.path: .knownCaller,
        ]
        for method in [
            Connections.register.path, Connections.update.path, Connections.validate.path,
            Connections.completeSetup.path, Connections.deactivate.path, Connections.activate.path,
            Connections.delete.path, Connections.rotateCredentials.path,
        ] {
            table[method] = .applicationAdmin
        }
        return table
    }()

    /// What `path` needs; a method missing from the table needs a known
    /// caller, so that forgetting a declaration never opens a method up.
    public static func permission(for path: String) -> MethodPermission {
        table[path] ?? .knownCaller
    }
}

/// Who the daemon knows. Until Steward users exist, the known callers are
/// root and the daemon's own uid (its administrators from the start).
public protocol CallerDirectory: Sendable {
    func isKnown(uid: UInt32) -> Bool
}

public struct DaemonAdministrators: CallerDirectory {
    public let daemonUID: UInt32

    public init(daemonUID: UInt32 = getuid()) { self.daemonUID = daemonUID }

    public func isKnown(uid: UInt32) -> Bool { uid == 0 || uid == daemonUID }
}

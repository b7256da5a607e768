import ArgumentParser
import StewardWire

/// A request that gives or takes one permission of one user.
protocol PermissionChangeRequest: ProtoMessage {
    init(userName: String, permission: StewardV1.Permission)
}

/// An answer that carries the user as the call left it.
protocol UserAnswer: ProtoMessage {
    var user: StewardV1.User? { get }
}

/// The shape of `user grant` and `user revoke`: one permission of one user,
/// and the user as the call left it.
protocol PermissionCommand: AsyncParsableCommand {
    associatedtype Request: PermissionChangeRequest
    associatedtype Response: UserAnswer
    static var method: UnaryMethod<Request, Response> { get }
    var options: ClientOptions { get }
    var name: String { get }
    var permission: StewardV1.Permission { get }
}

extension PermissionCommand {
    /// The help for the permission argument, the same for both.
    static var permissionHelp: ArgumentHelp {
        ArgumentHelp("APPLICATION_ADMIN or USER_ADMIN (any case).", valueName: "permission")
    }

    mutating func run() async throws {
        let response = try await options.call(Self.method, Request(userName: name, permission: permission))
        options.emit(response) { UserText.summary(response.user ?? .init()) }
    }
}

extension StewardV1.GrantPermissionRequest: PermissionChangeRequest {}
extension StewardV1.GrantPermissionResponse: UserAnswer {}
extension StewardV1.RevokePermissionRequest: PermissionChangeRequest {}
extension StewardV1.RevokePermissionResponse: UserAnswer {}

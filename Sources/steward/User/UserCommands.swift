import ArgumentParser
import StewardWire

struct CreateUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a Steward user for an OS uid.")

    @OptionGroup var options: ClientOptions
    @Argument(help: "A letter or '_', then letters, digits, '_', '.' or '-'; at most 63 bytes.")
    var name: String
    @Option(help: ArgumentHelp("The OS uid whose processes are this user: a number or an account name.", valueName: "uid"),
            transform: OSUserID.parse)
    var uid: UInt32
    @Option(name: .customLong("grant"),
            help: ArgumentHelp("A permission to start with: APPLICATION_ADMIN or USER_ADMIN (repeat for both).", valueName: "permission"),
            transform: PermissionName.parse)
    var permissions: [StewardV1.Permission] = []

    func run() async throws {
        let response = try await options.call(
            StewardV1.Users.create, .init(name: name, uid: uid, permissions: permissions))
        options.emit(response) { UserText.summary(response.user ?? .init()) }
    }
}

struct ListUsers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List Steward users.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let all = try await options.fetchPages(StewardV1.Users.list, StewardV1.ListUsersRequest()).items
        let everything = StewardV1.ListUsersResponse(users: all)
        options.emit(everything) { UserText.table(all) }
    }
}

struct ShowUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a user, its permissions and its mappings.")

    @OptionGroup var options: ClientOptions
    @Argument var name: String

    func run() async throws {
        let response = try await options.call(StewardV1.Users.get, .init(name: name))
        options.emit(response) { UserText.detail(response.user ?? .init(), mappings: response.mappings, withheld: response.mappingsWithheld) }
    }
}

struct GrantPermission: PermissionCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant", abstract: "Give a user a permission (granting one it holds changes nothing).")
    static let method = StewardV1.Users.grant

    @OptionGroup var options: ClientOptions
    @Argument var name: String
    @Argument(help: Self.permissionHelp, transform: PermissionName.parse)
    var permission: StewardV1.Permission
}

struct RevokePermission: PermissionCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Take a permission from a user.")
    static let method = StewardV1.Users.revoke

    @OptionGroup var options: ClientOptions
    @Argument var name: String
    @Argument(help: Self.permissionHelp, transform: PermissionName.parse)
    var permission: StewardV1.Permission
}

struct DeleteUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Remove a user with its permissions and mappings (its audit events stay).")

    @OptionGroup var options: ClientOptions
    @Argument var name: String

    func run() async throws {
        let response = try await options.call(StewardV1.Users.delete, .init(name: name))
        options.emit(response) { "deleted user \(name)" }
    }
}

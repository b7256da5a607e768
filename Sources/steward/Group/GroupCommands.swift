import ArgumentParser
import StewardWire

struct CreateGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a group.")

    @OptionGroup var options: ClientOptions
    @Argument(help: "A letter or '_', then letters, digits, '_', '.' or '-'; at most 63 bytes.")
    var name: String
    @Option(name: .customLong("os-group"), help: ArgumentHelp("Bind the group to this OS group instead of listing members.", valueName: "group"))
    var osGroup: String?

    func run() async throws {
        let response = try await options.call(StewardV1.Groups.create, .init(name: name, osGroup: osGroup ?? ""))
        options.emit(response) { GroupText.detail(response.group ?? .init()) }
    }
}

struct ListGroups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List groups.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let all = try await options.fetchPages(StewardV1.Groups.list, StewardV1.ListGroupsRequest()).items
        options.emit(StewardV1.ListGroupsResponse(groups: all)) { GroupText.table(all) }
    }
}

struct ShowGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a group and its members.")

    @OptionGroup var options: ClientOptions
    @Argument var name: String

    func run() async throws {
        let response = try await options.call(StewardV1.Groups.get, .init(name: name))
        options.emit(response) { GroupText.detail(response.group ?? .init()) }
    }
}

struct AddGroupMember: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-member", abstract: "Add users to a group (adding a member again changes nothing).")

    @OptionGroup var options: ClientOptions
    @Argument var group: String
    @Argument(help: "Steward user names.")
    var users: [String]

    func run() async throws {
        let response = try await options.call(StewardV1.Groups.addMembers, .init(groupName: group, userNames: users))
        options.emit(response) { GroupText.detail(response.group ?? .init()) }
    }
}

struct RemoveGroupMember: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove-member", abstract: "Take a user out of a group.")

    @OptionGroup var options: ClientOptions
    @Argument var group: String
    @Argument var user: String

    func run() async throws {
        let response = try await options.call(StewardV1.Groups.removeMember, .init(groupName: group, userName: user))
        options.emit(response) { GroupText.detail(response.group ?? .init()) }
    }
}

struct DeleteGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a group; it leaves every policy that names it.")

    @OptionGroup var options: ClientOptions
    @Argument var name: String

    func run() async throws {
        let response = try await options.call(StewardV1.Groups.delete, .init(name: name))
        options.emit(response) { "deleted group \(TerminalText.escaped(name))" }
    }
}

struct ImportGroupMembers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Add group members from CSV (all rows or none).",
        discussion: """
            Columns: group,user, with an optional header row naming them. The daemon \
            checks every row and, if any is bad, refuses the file listing each bad row by \
            line number (exit 2).
            """)

    @OptionGroup var options: ClientOptions
    @Argument(help: ArgumentHelp("The CSV file, or - for standard input.", valueName: "file"))
    var file: String
    @Flag(name: .customLong("dry-run"), help: "Check every row; change nothing.")
    var dryRun = false

    func run() async throws {
        let response = try await CSVFile.sendImport {
            try await options.call(StewardV1.Groups.importMembers, .init(csv: try CSVFile.read(file), dryRun: dryRun))
        }
        options.emit(response) { (response.dryRun ? "would import " : "imported ") + MappingText.counted(response.imported, "membership") }
    }
}

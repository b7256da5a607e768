import ArgumentParser
import StewardWire

struct CreatePolicy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a policy.")

    @OptionGroup var options: ClientOptions
    @Argument(help: "A letter or '_', then letters, digits, '_', '.' or '-'; at most 63 bytes.")
    var name: String
    @OptionGroup var policy: PolicyOptions
    @Flag(name: .customLong("dry-run"), help: "Check everything; store nothing.")
    var dryRun = false

    func run() async throws {
        let response = try await options.call(StewardV1.Policies.create, .init(policy: policy.policy(named: name), dryRun: dryRun))
        options.emit(response) { (response.dryRun ? "dry run: would create\n" : "") + PolicyText.detail(response.policy ?? .init()) }
    }
}

struct ListPolicies: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List policies.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let all = try await options.fetchPages(StewardV1.Policies.list, StewardV1.ListPoliciesRequest()).items
        options.emit(StewardV1.ListPoliciesResponse(policies: all)) { PolicyText.table(all) }
    }
}

struct ShowPolicy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a policy.")

    @OptionGroup var options: ClientOptions
    @Argument var name: String

    func run() async throws {
        let response = try await options.call(StewardV1.Policies.get, .init(name: name))
        options.emit(response) { PolicyText.detail(response.policy ?? .init()) }
    }
}

struct UpdatePolicy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Change a policy: each option given replaces that part (--user/--group: the subjects).")

    @OptionGroup var options: ClientOptions
    @Argument var name: String
    @OptionGroup var policy: PolicyOptions
    @Option(name: .customLong("expected-revision"), help: ArgumentHelp("Only if the policy is still at this revision.", valueName: "n"))
    var expectedRevision: UInt64 = 0
    @Flag(name: .customLong("dry-run"), help: "Show the policy as it would be; change nothing.")
    var dryRun = false

    func run() async throws {
        let response = try await options.call(
            StewardV1.Policies.update,
            .init(name: name, policy: policy.policy(named: name), updatePaths: policy.updatePaths, dryRun: dryRun,
                  expectedRevision: expectedRevision))
        options.emit(response) { (response.dryRun ? "dry run: would become\n" : "") + PolicyText.detail(response.policy ?? .init()) }
    }
}

struct DeletePolicy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a policy; the enforcement that follows revokes its grants.")

    @OptionGroup var options: ClientOptions
    @Argument var name: String

    func run() async throws {
        let response = try await options.call(StewardV1.Policies.delete, .init(name: name))
        options.emit(response) { "deleted policy \(TerminalText.escaped(name)); its grants are revoked by the enforcement that follows" }
    }
}

struct EnforcePolicies: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enforce", abstract: "Enforce a connection's policies now, or print the SQL plan (--dry-run).")

    @OptionGroup var options: ClientOptions
    @Argument(help: ArgumentHelp("The connection key.", valueName: "key"))
    var key: String
    @Flag(name: .customLong("dry-run"), help: "Print the exact SQL that would run; run nothing.")
    var dryRun = false

    func run() async throws {
        let response = try await options.call(StewardV1.Policies.enforce, .init(connectionKey: key, dryRun: dryRun))
        options.emit(response) { PolicyText.plan(response) }
    }
}

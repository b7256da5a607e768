import ArgumentParser
import Foundation
import StewardModel
import StewardWire

struct RegisterConnection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "register", abstract: "Register a connection (then run its script).")

    @OptionGroup var options: ClientOptions
    @Argument(help: "Display name, which becomes the connection key: letters, digits, '-', '_'.")
    var name: String
    @OptionGroup var settings: ConnectionSettingsOptions

    func validate() throws {
        guard settings.deployment != nil else {
            throw ValidationError("--deployment is required: NEON or SELF_MANAGED")
        }
    }

    func run() async throws {
        var message = StewardV1.ConnectionSettings()
        message.deploymentType = try settings.deploymentType()
        message.host = settings.host ?? ""
        message.port = settings.port ?? 5432
        message.stateDatabase = settings.stateDatabase ?? ""
        message.governedDatabases = settings.databases
        message.username = settings.username ?? ""
        message.sslMode = try settings.sslModeValue()
        message.caCertificatePem = try settings.caCertificate()
        message.provisionMissingRoles = settings.provisionMissingRoles ?? false
        message.password = try PasswordInput.read(prompt: "Password for \(message.username): ", fromStdin: settings.passwordFromStdin)
        let response = try await options.call(
            StewardV1.Connections.register, .init(displayName: name, settings: message))
        let connection = response.connection ?? .init()
        options.emit(response) { ConnectionText.summary(connection) + "\n\nNext: steward connection script \(connection.key) --output FILE, run it with psql as a superuser, then steward connection validate \(connection.key)." }
    }
}

struct ListConnections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List connections.")

    @OptionGroup var options: ClientOptions
    @Option(help: "Only connections in this state (REGISTERED, VALIDATED, VALIDATION_FAILED, ACTIVE, UNHEALTHY, INACTIVE).")
    var state: String?

    func validate() throws { _ = try stateFilter() }

    private func stateFilter() throws -> LifecycleState? {
        guard let state else { return nil }
        guard let value = LifecycleState(rawValue: state.uppercased()) else {
            let valid = LifecycleState.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("unknown --state \(state); use one of \(valid)")
        }
        return value
    }

    func run() async throws {
        var request = StewardV1.ListConnectionsRequest()
        if let value = try stateFilter() { request.state = StewardV1.ConnectionState(value) }
        let all = try await options.fetchPages(StewardV1.Connections.list, request).items
        let everything = StewardV1.ListConnectionsResponse(connections: all)
        options.emit(everything) { ConnectionText.table(all, nowUnixMs: Int64(Date().timeIntervalSince1970 * 1000)) }
    }
}

struct ShowConnection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a connection and its last validation.")

    @OptionGroup var options: ClientOptions
    @Argument var key: String

    func run() async throws {
        let response = try await options.call(StewardV1.Connections.get, .init(key: key))
        let connection = response.connection ?? .init()
        options.emit(response) {
            var text = ConnectionText.summary(connection)
            if let report = connection.lastValidation { text += "\n\n" + ValidationText.render(report, color: false) }
            return text
        }
    }
}

struct ConnectionScript: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "script", abstract: "Print the setup script, or write it to a file.")

    @OptionGroup var options: ClientOptions
    @Argument var key: String
    @Option(name: .shortAndLong, help: "Write the script to this file instead of standard output.")
    var output: String?

    func run() async throws {
        let response = try await options.call(StewardV1.Connections.getSetupScript, .init(key: key))
        if let output {
            do {
                try response.script.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write \(output): \(error.localizedDescription)")
            }
            // The connection's own host and port, so the hint can be pasted as it is.
            let settings = try await options.call(StewardV1.Connections.get, .init(key: key)).connection?.settings ?? .init()
            let hint = "wrote \(output); run it as a superuser with: psql -h \(settings.host) -p \(settings.port) -U postgres -d postgres -f \(output)"
            FileHandle.standardError.write(Data((TerminalText.escaped(hint) + "\n").utf8))
        } else if options.json {
            options.emit(response) { "" }
        } else {
            FileHandle.standardOutput.write(Data(response.script.utf8))
        }
    }
}

struct ValidateConnection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check the connection's privileges against the live database.",
        discussion: "Exits 0 when no check failed, 2 when one did.")

    @OptionGroup var options: ClientOptions
    @Argument var key: String

    func run() async throws {
        let response = try await options.call(StewardV1.Connections.validate, .init(key: key))
        let report = response.report ?? .init()
        options.emit(response, colored: true) { ValidationText.render(report, color: options.usesColor) }
        if !report.passed { throw ExitCode(2) }
    }
}

struct CompleteConnection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "complete", abstract: "Complete setup after a passing validation: the connection becomes ACTIVE.")

    @OptionGroup var options: ClientOptions
    @Argument var key: String

    func run() async throws {
        let response = try await options.call(StewardV1.Connections.completeSetup, .init(key: key))
        options.emit(response) { ConnectionText.summary(response.connection ?? .init()) }
    }
}

struct UpdateConnection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Change a connection's settings; --dry-run shows what would change.")

    @OptionGroup var options: ClientOptions
    @Argument var key: String
    @OptionGroup var settings: ConnectionSettingsOptions
    @Flag(name: .customLong("password"), help: "Change the password too (prompt, or --password-stdin).")
    var changePassword = false
    @Flag(name: .customLong("dry-run"), help: "Report what would change and which checks must run again; change nothing.")
    var dryRun = false
    @Flag(
        name: .customLong("keep-password"),
        help: "With a new host, port, username, sslmode or CA: send the stored password there (audited) instead of giving it again.")
    var keepPassword = false

    func validate() throws {
        if keepPassword && (changePassword || settings.passwordFromStdin) {
            throw ValidationError("--keep-password cannot be combined with --password or --password-stdin")
        }
    }

    func run() async throws {
        var message = StewardV1.ConnectionSettings()
        var paths: [String] = []
        for field in ConnectionSettingsField.allCases where settings.gives(field, passwordAsked: changePassword) {
            try settings.set(field, in: &message) {
                try PasswordInput.read(prompt: "New password: ", fromStdin: settings.passwordFromStdin)
            }
            paths.append(field.path)
        }
        guard !paths.isEmpty else { throw ValidationError("name at least one setting to change, e.g. --port 6543") }
        let response = try await options.call(
            StewardV1.Connections.update, .init(key: key, settings: message, updatePaths: paths, dryRun: dryRun, keepPassword: keepPassword))
        options.emit(response) {
            var lines = [dryRun ? "Would change:" : "Changed:"]
            lines += response.changes.map { "  \($0.path): \($0.oldValue) -> \($0.newValue)" }
            if response.changes.isEmpty { lines.append("  nothing (the values are already set)") }
            if response.passwordKept {
                lines.append("The stored password " + (dryRun ? "would be" : "is") + " kept for the new destination (--keep-password).")
            }
            if !response.checksToRerun.isEmpty {
                lines.append((dryRun ? "It would need" : "It needs") + " validating again (checks: " + response.checksToRerun.joined(separator: ", ") + ").")
            }
            return lines.joined(separator: "\n")
        }
    }
}

struct DeactivateConnection: ConnectionKeyCommand {
    static let configuration = CommandConfiguration(commandName: "deactivate", abstract: "Stop governing a connection (it can be activated or deleted later).")
    static let method = StewardV1.Connections.deactivate
    @OptionGroup var options: ClientOptions
    @Argument var key: String
}

struct ActivateConnection: ConnectionKeyCommand {
    static let configuration = CommandConfiguration(commandName: "activate", abstract: "Bring an INACTIVE connection back; it must validate again.")
    static let method = StewardV1.Connections.activate
    @OptionGroup var options: ClientOptions
    @Argument var key: String
}

struct DeleteConnection: ConnectionKeyCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete an INACTIVE connection and everything recorded about it.",
        discussion: "On a terminal it asks first: type the connection's key to delete it. Scripts (no terminal) and --yes are not asked.")
    static let method = StewardV1.Connections.delete
    @OptionGroup var options: ClientOptions
    @Argument var key: String
    @Flag(name: .long, help: "Delete without asking, even on a terminal.")
    var yes = false

    func text(_ response: StewardV1.DeleteConnectionResponse) -> String { "deleted \(key)" }

    mutating func run() async throws {
        if !yes, isatty(STDIN_FILENO) == 1 {
            let prompt = "Delete connection \(TerminalText.escaped(key)) and everything recorded about it? Type its key to confirm: "
            FileHandle.standardError.write(Data(prompt.utf8))
            guard readLine(strippingNewline: true) == key else {
                FileHandle.standardError.write(Data("steward: nothing deleted\n".utf8))
                throw ExitCode(1)
            }
        }
        let response = try await options.call(Self.method, .init(key: key))
        options.emit(response) { text(response) }
    }
}

struct RotateCredentials: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rotate-credentials", abstract: "Give a connection a new password (and optionally a new role).")
    @OptionGroup var options: ClientOptions
    @Argument var key: String
    @Option(help: "A new PostgreSQL role to connect as.")
    var username: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input instead of a prompt.")
    var passwordFromStdin = false

    func run() async throws {
        let password = try PasswordInput.read(prompt: "New password: ", fromStdin: passwordFromStdin)
        let response = try await options.call(
            StewardV1.Connections.rotateCredentials, .init(key: key, username: username ?? "", password: password))
        options.emit(response) { ConnectionText.summary(response.connection ?? .init()) + "\nValidate it again: steward connection validate \(key)" }
    }
}

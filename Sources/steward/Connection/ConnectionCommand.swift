import ArgumentParser
import Foundation
import StewardModel
import StewardWire

/// `steward connection …`: register and manage PostgreSQL connections.
struct ConnectionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connection",
        abstract: "Register and manage PostgreSQL connections.",
        discussion: """
            The usual path: register, then script (run it with psql as a superuser), then \
            validate, then complete; then sync records its tables as data sources (see \
            steward source). Passwords are read from a prompt or from standard input \
            (--password-stdin), never from the command line.
            """,
        subcommands: [
            AddConnection.self, RegisterConnection.self, ListConnections.self, ShowConnection.self, ConnectionScript.self,
            ValidateConnection.self, CompleteConnection.self, UpdateConnection.self,
            DeactivateConnection.self, ActivateConnection.self, DeleteConnection.self, RotateCredentials.self,
            SyncConnection.self, ConnectionHistory.self,
        ])
}

/// Where and how to connect, as flags shared by register and update. Each
/// flag's name is its field's (``ConnectionSettingsField``).
struct ConnectionSettingsOptions: ParsableArguments {
    @Option(name: .customLong(ConnectionSettingsField.deploymentType.descriptor.flag), help: "NEON or SELF_MANAGED.")
    var deployment: String?

    @Option(name: .customLong(ConnectionSettingsField.host.descriptor.flag), help: "Host name, IPv4/IPv6 address, or socket directory.")
    var host: String?

    @Option(name: .customLong(ConnectionSettingsField.port.descriptor.flag), help: "Port (1-65535).")
    var port: UInt32?

    @Option(
        name: .customLong(ConnectionSettingsField.stateDatabase.descriptor.flag),
        help: "The separate database Steward keeps its state in.")
    var stateDatabase: String?

    @Option(
        name: .customLong(ConnectionSettingsField.governedDatabases.descriptor.flag),
        help: "A database to govern (repeat for several; none: discover them).")
    var databases: [String] = []

    @Option(name: .customLong(ConnectionSettingsField.username.descriptor.flag), help: "The PostgreSQL role Steward connects as.")
    var username: String?

    @Option(name: .customLong(ConnectionSettingsField.sslMode.descriptor.flag), help: "\(SSLMode.choices).")
    var sslMode: String?

    @Option(name: .customLong(ConnectionSettingsField.caCertificate.descriptor.flag), help: "PEM file of CA certificates to trust.")
    var caFile: String?

    @Flag(
        name: .customLong(ConnectionSettingsField.provisionMissingRoles.descriptor.flag), inversion: .prefixedNo,
        help: "Whether enforcement creates missing subscriber roles (NOLOGIN) instead of only reporting them (default: no).")
    var provisionMissingRoles: Bool?

    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input instead of a prompt.")
    var passwordFromStdin = false

    /// Every value checked as the command line is read: a mistake is exit
    /// 64 before anything is sent (or a password asked for).
    func validate() throws {
        if let port, !(1...65535).contains(port) {
            throw ValidationError("--port must be between 1 and 65535, not \(port)")
        }
        _ = try deploymentType()
        _ = try sslModeValue()
    }

    func deploymentType() throws -> StewardV1.DeploymentType {
        guard let deployment else { return .unspecified }
        let name = deployment.uppercased().replacing("-", with: "_")
        guard let type = DeploymentType(rawValue: name) else {
            throw ValidationError("--deployment must be NEON or SELF_MANAGED, not \(name)")
        }
        return StewardV1.DeploymentType(type)
    }

    func sslModeValue() throws -> StewardV1.SslMode {
        guard let sslMode else { return .unspecified }
        guard let mode = SSLMode(rawValue: sslMode.lowercased()) else {
            throw ValidationError("--ssl-mode must be \(SSLMode.choices), not \(sslMode.lowercased())")
        }
        return StewardV1.SslMode(mode)
    }

    /// Whether the flag of `field` was given (the password: asked for).
    func gives(_ field: ConnectionSettingsField, passwordAsked: Bool) -> Bool {
        switch field {
        case .host: host != nil
        case .port: port != nil
        case .deploymentType: deployment != nil
        case .sslMode: sslMode != nil
        case .caCertificate: caFile != nil
        case .stateDatabase: stateDatabase != nil
        case .governedDatabases: !databases.isEmpty
        case .username: username != nil
        case .password: passwordAsked || passwordFromStdin
        case .provisionMissingRoles: provisionMissingRoles != nil
        }
    }

    /// Sets `field` of `message` from its flag.
    func set(_ field: ConnectionSettingsField, in message: inout StewardV1.ConnectionSettings, newPassword: () throws -> String) throws {
        switch field {
        case .host: message.host = host ?? ""
        case .port: message.port = port ?? 5432
        case .deploymentType: message.deploymentType = try deploymentType()
        case .sslMode: message.sslMode = try sslModeValue()
        case .caCertificate: message.caCertificatePem = try caCertificate()
        case .stateDatabase: message.stateDatabase = stateDatabase ?? ""
        case .governedDatabases: message.governedDatabases = databases
        case .username: message.username = username ?? ""
        case .password: message.password = try newPassword()
        case .provisionMissingRoles: message.provisionMissingRoles = provisionMissingRoles ?? false
        }
    }

    func caCertificate() throws -> String {
        guard let caFile else { return "" }
        do { return try String(contentsOfFile: caFile, encoding: .utf8) } catch {
            throw ValidationError("cannot read --ca-file \(caFile): \(error.localizedDescription)")
        }
    }
}

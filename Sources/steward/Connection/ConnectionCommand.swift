import ArgumentParser
import Foundation
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
            SyncConnection.self,
        ])
}

/// Where and how to connect, as flags shared by register and update.
struct ConnectionSettingsOptions: ParsableArguments {
    @Option(help: "NEON or SELF_MANAGED.")
    var deployment: String?

    @Option(help: "Host name, IPv4/IPv6 address, or socket directory.")
    var host: String?

    @Option(help: "Port (1-65535).")
    var port: UInt32?

    @Option(name: .customLong("state-database"), help: "The separate database Steward keeps its state in.")
    var stateDatabase: String?

    @Option(name: .customLong("database"), help: "A database to govern (repeat for several; none: discover them).")
    var databases: [String] = []

    @Option(help: "The PostgreSQL role Steward connects as.")
    var username: String?

    @Option(name: .customLong("ssl-mode"), help: "disable, allow, prefer, require, verify-ca or verify-full.")
    var sslMode: String?

    @Option(name: .customLong("ca-file"), help: "PEM file of CA certificates to trust.")
    var caFile: String?

    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input instead of a prompt.")
    var passwordFromStdin = false

    func deploymentType() throws -> StewardV1.DeploymentType {
        switch deployment?.uppercased().replacing("-", with: "_") {
        case nil: return .unspecified
        case "NEON": return .neon
        case "SELF_MANAGED": return .selfManaged
        case let other?: throw ValidationError("--deployment must be NEON or SELF_MANAGED, not \(other)")
        }
    }

    func sslModeValue() throws -> StewardV1.SslMode {
        switch sslMode?.lowercased() {
        case nil: return .unspecified
        case "disable": return .disable
        case "allow": return .allow
        case "prefer": return .prefer
        case "require": return .require
        case "verify-ca": return .verifyCa
        case "verify-full": return .verifyFull
        case let other?: throw ValidationError("--ssl-mode must be disable, allow, prefer, require, verify-ca or verify-full, not \(other)")
        }
    }

    func caCertificate() throws -> String {
        guard let caFile else { return "" }
        do { return try String(contentsOfFile: caFile, encoding: .utf8) } catch {
            throw ValidationError("cannot read --ca-file \(caFile): \(error.localizedDescription)")
        }
    }
}

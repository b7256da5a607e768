/// A field of a connection's settings that a caller may change after
/// registering (the password, kept beside the settings, included). Every
/// layer that names, shows, flags or rechecks a field reads it from here:
/// Connections.Update and its dry run, the daemon's request mapping, the
/// CLI's flags and the guided `connection add`. A new field is a new case,
/// and the compiler then points at every switch that must learn it.
///
/// The cases are in the order the API lists them.
public enum ConnectionSettingsField: CaseIterable, Sendable, Hashable {
    case host
    case port
    case deploymentType
    case sslMode
    case caCertificate
    case stateDatabase
    case governedDatabases
    case username
    case password
    case provisionMissingRoles

    /// Everything there is to know about this field.
    public var descriptor: ConnectionSettingsFieldDescriptor {
        switch self {
        case .host:
            .init(path: "host", flag: "host", label: "host", shown: .plain, rerun: .connecting, decidesPasswordDestination: true)
        case .port:
            .init(path: "port", flag: "port", label: "port", shown: .plain, rerun: .connecting, decidesPasswordDestination: true)
        case .deploymentType:
            .init(
                path: "deployment_type", flag: "deployment", label: "deployment type", shown: .plain, rerun: .connecting,
                decidesPasswordDestination: false)
        case .sslMode:
            .init(path: "ssl_mode", flag: "ssl-mode", label: "sslmode", shown: .plain, rerun: .connecting, decidesPasswordDestination: true)
        case .caCertificate:
            .init(
                path: "ca_certificate_pem", flag: "ca-file", label: "CA certificate file", shown: .fingerprint, rerun: .connecting,
                decidesPasswordDestination: true)
        case .stateDatabase:
            .init(
                path: "state_database", flag: "state-database", label: "state database", shown: .plain,
                rerun: [.stateDatabase, .stateMarker], decidesPasswordDestination: false)
        case .governedDatabases:
            .init(
                path: "governed_databases", flag: "database", label: "governed databases", shown: .plain,
                rerun: [.databaseConnect, .schemaUsage, .tablePrivileges, .alterTable], decidesPasswordDestination: false)
        case .username:
            .init(path: "username", flag: "username", label: "username", shown: .plain, rerun: .loggingIn, decidesPasswordDestination: true)
        case .password:
            .init(path: "password", flag: "password", label: "password", shown: .secret, rerun: .loggingIn, decidesPasswordDestination: false)
        case .provisionMissingRoles:
            // What enforcement does with a missing role, not where or how
            // Steward connects: validation already checks CREATEROLE.
            .init(
                path: "provision_missing_roles", flag: "provision-missing-roles", label: "provision missing roles", shown: .plain,
                rerun: [], decidesPasswordDestination: false)
        }
    }

    /// The API's name for the field (`update_paths`, error messages).
    public var path: String { descriptor.path }

    /// The field named `path` in the API, if it is one.
    public init?(path: String) {
        guard let field = Self.allCases.first(where: { $0.path == path }) else { return nil }
        self = field
    }

    /// The paths of the fields that decide where the stored password is sent.
    public static let passwordDestinationPaths: Set<String> = Set(allCases.filter(\.descriptor.decidesPasswordDestination).map(\.path))

    /// The field's value in `settings` as the API writes it, before
    /// ``ConnectionSettingsFieldDescriptor/Shown`` decides how it may be
    /// shown; nil for the password, which settings never hold.
    public func text(in settings: ConnectionSettings) -> String? {
        switch self {
        case .host: settings.host
        case .port: String(settings.port)
        case .deploymentType: settings.deploymentType.rawValue
        case .sslMode: settings.sslMode.rawValue
        case .caCertificate: settings.caCertificate ?? ""
        case .stateDatabase: settings.stateDatabase
        case .governedDatabases: settings.governedDatabases.joined(separator: ",")
        case .username: settings.username
        case .password: nil
        case .provisionMissingRoles: String(settings.provisionMissingRoles)
        }
    }
}

/// What every layer needs to know about one ``ConnectionSettingsField``.
public struct ConnectionSettingsFieldDescriptor: Sendable, Hashable {
    /// How a field's value may appear in answers, reports and logs.
    public enum Shown: Sendable, Hashable {
        /// As it is.
        case plain
        /// Never: always `[REDACTED]`, not even as a hash, which could be
        /// guessed from.
        case secret
        /// As the SHA-256 fingerprints of its certificates, never the PEM.
        case fingerprint
    }

    /// The API's name (steward.v1 `ConnectionSettings` field, `update_paths`).
    public let path: String
    /// The CLI's long option, without the dashes.
    public let flag: String
    /// What the guided `connection add` calls it.
    public let label: String
    public let shown: Shown
    /// The checks whose verdict a change of this field may alter, in the order they run.
    public let checksToRerun: [ValidationCheck]
    /// Whether a change sends the stored password somewhere new, so it must
    /// be given again (or kept on the record).
    public let decidesPasswordDestination: Bool

    init(path: String, flag: String, label: String, shown: Shown, rerun: [ValidationCheck], decidesPasswordDestination: Bool) {
        self.path = path
        self.flag = flag
        self.label = label
        self.shown = shown
        self.checksToRerun = rerun
        self.decidesPasswordDestination = decidesPasswordDestination
    }
}

extension [ValidationCheck] {
    /// Where or how Steward connects changed: every check.
    static var connecting: [ValidationCheck] { ValidationCheck.allCases }
    /// Who Steward logs in as changed: the login and every check after it.
    static var loggingIn: [ValidationCheck] { Array(ValidationCheck.allCases.drop { $0 != .login }) }
}

import StewardModel
import StewardStore

/// The rules a connection's settings must meet before anything is stored,
/// each failure naming the field and saying what is allowed. The rules for
/// names are the model's (``ConnectionNameRules``), shared with the CLI.
public enum ConnectionInputRules {
    /// Checks a display name, which becomes the connection key.
    public static func checkKey(_ key: String, field: String = "display_name") throws(DomainError) {
        try refusing { () throws(InputProblem) in try ConnectionNameRules.checkKey(key, field: field) }
    }

    /// Checks everything but the key. `password` nil means "not given".
    public static func checkSettings(_ settings: ConnectionSettings, password: String?) throws(DomainError) {
        try checkHost(settings.host)
        guard (1...65_535).contains(settings.port) else {
            throw .invalidArgument("port", "\(settings.port) is not between 1 and 65535")
        }
        try checkIdentifier(settings.stateDatabase, field: "state_database")
        var seen: Set<String> = []
        for (index, database) in settings.governedDatabases.enumerated() {
            let field = "governed_databases[\(index)]"
            try checkIdentifier(database, field: field)
            guard database != settings.stateDatabase else {
                throw .invalidArgument(field, "\"\(database)\" is the state database; Steward's state must live apart from governed data")
            }
            guard seen.insert(database).inserted else {
                throw .invalidArgument(field, "\"\(database)\" is listed twice")
            }
        }
        try checkIdentifier(settings.username, field: "username")
        if let password {
            guard !password.isEmpty else { throw .invalidArgument("password", "is empty") }
        }
        if settings.deploymentType == .neon && settings.sslMode != .verifyFull {
            throw .invalidArgument(
                "ssl_mode", "NEON connections require verify-full (TLS with certificate verification), not \(settings.sslMode.rawValue)")
        }
        if let bundle = settings.caCertificate {
            _ = try CABundle.certificates(in: bundle)
        }
    }

    /// `settings` as they are stored once they pass ``checkSettings(_:password:)``:
    /// the CA bundle cut down to its certificates, so that nothing else
    /// pasted with them is kept or written to a file.
    public static func accepted(_ settings: ConnectionSettings, password: String?) throws(DomainError) -> ConnectionSettings {
        try checkSettings(settings, password: password)
        var accepted = settings
        if let bundle = settings.caCertificate { accepted.caCertificate = try CABundle.certificates(in: bundle) }
        return accepted
    }

    /// A database or role name (``ConnectionNameRules/checkIdentifier(_:field:)``).
    public static func checkIdentifier(_ name: String, field: String) throws(DomainError) {
        try refusing { () throws(InputProblem) in try ConnectionNameRules.checkIdentifier(name, field: field) }
    }

    /// A DNS name, an IPv4 or IPv6 address, or an absolute socket directory.
    public static func checkHost(_ host: String) throws(DomainError) {
        try refusing { () throws(InputProblem) in try ConnectionNameRules.checkHost(host) }
    }

    private static func refusing(_ check: () throws(InputProblem) -> Void) throws(DomainError) {
        do { try check() } catch { throw DomainError(error) }
    }
}

import Glibc
import StewardPostgres
import StewardStore

/// The rules a connection's settings must meet before anything is stored,
/// each failure naming the field and saying what is allowed.
public enum ConnectionInputRules {
    /// Words that would be ambiguous as a connection key in API paths and
    /// data source names.
    public static let reservedKeys: Set<String> = [
        "data", "connection", "object", "crawl", "search", "settings", "metadata",
        "permission", "sync", "bulk", "upgrade",
    ]

    /// PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently cut.
    public static let maxIdentifierBytes = 63

    /// Checks a display name, which becomes the connection key.
    public static func checkKey(_ key: String, field: String = "display_name") throws(DomainError) {
        guard !key.isEmpty else { throw .invalidArgument(field, "is required") }
        guard key.count <= 64 else {
            throw .invalidArgument(field, "is \(key.count) characters; at most 64 are allowed")
        }
        guard key.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }) else {
            throw .invalidArgument(field, "\(PsqlScript.shown(key)) may contain only letters, digits, '-' and '_'")
        }
        guard !reservedKeys.contains(key.lowercased()) else {
            throw .invalidArgument(field, "\"\(key)\" is a reserved word; choose another name")
        }
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

    /// A database or role name: 1 to 63 bytes, no control characters, line
    /// separators or bidirectional controls (legal in PostgreSQL, but they
    /// would break or disguise the lines of a setup script). Names found on a
    /// server (discovered databases) must pass it too.
    public static func checkIdentifier(_ name: String, field: String) throws(DomainError) {
        guard !name.isEmpty else { throw .invalidArgument(field, "is required") }
        guard !name.unicodeScalars.contains(where: SQLQuoting.needsEscape) else {
            throw .invalidArgument(field, "\(PsqlScript.shown(name)) contains a control character (such as a line break)")
        }
        guard name.utf8.count <= maxIdentifierBytes else {
            throw .invalidArgument(field, "is \(name.utf8.count) bytes; PostgreSQL names are at most 63 bytes")
        }
    }

    /// A DNS name, an IPv4 or IPv6 address, or an absolute socket directory.
    public static func checkHost(_ host: String) throws(DomainError) {
        guard !host.isEmpty else { throw .invalidArgument("host", "is required") }
        if host.hasPrefix("/") {
            // A path may hold any byte but NUL; a line break in it would
            // reach the setup script's header and libpq's conninfo.
            guard !host.unicodeScalars.contains(where: SQLQuoting.needsEscape) else {
                throw .invalidArgument("host", "socket directory \(PsqlScript.shown(host)) contains a control character (such as a line break)")
            }
            // libpq appends "/.s.PGSQL.<port>" to a socket directory.
            guard host.utf8.count + 18 <= 107 else {
                throw .invalidArgument("host", "socket directory \(host) is too long for a Unix socket address")
            }
            return
        }
        if isIPAddress(host) { return }
        guard isDNSName(host) else {
            throw .invalidArgument(
                "host", "\(PsqlScript.shown(host)) is not a DNS name, an IPv4 or IPv6 address, or an absolute socket directory")
        }
    }

    static func isIPAddress(_ text: String) -> Bool {
        var storage = in6_addr()
        return inet_pton(AF_INET, text, &storage) == 1 || inet_pton(AF_INET6, text, &storage) == 1
    }

    /// RFC 1123 host names: dot-separated labels of 1–63 letters, digits and
    /// hyphens, not starting or ending with a hyphen; 253 bytes at most.
    static func isDNSName(_ text: String) -> Bool {
        let name = text.hasSuffix(".") ? String(text.dropLast()) : text
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        // All-numeric dotted text would be a malformed IPv4 address, not a name.
        guard !labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }
    }
}

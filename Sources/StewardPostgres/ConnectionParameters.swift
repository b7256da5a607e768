import StewardModel

/// Where and how to connect. Passed to libpq as keyword/value pairs, never
/// concatenated into a conninfo string, so no value can inject another.
public struct ConnectionParameters: Sendable, CustomStringConvertible {
    /// A DNS name, an IP address, or an absolute directory holding the server's socket.
    public var host: String
    public var port: Int
    public var database: String
    public var user: String
    /// Never printed: `description` leaves it out.
    public var password: String?
    public var sslMode: SSLMode = .prefer
    /// Path of a PEM file of trusted CA certificates (`sslrootcert`).
    public var sslRootCertificatePath: String?
    public var applicationName = "steward"
    /// Server options (`options`), e.g. `-c search_path=…`.
    public var options: String?
    /// Whether libpq may take a password from `~/.pgpass` (or PGPASSFILE)
    /// when none is given. Off for governed databases, whose credentials
    /// are only what Steward stores; on for the daemon's own registry.
    public var readsPasswordFile = false
    /// TCP keepalives, so that a peer that vanished (a partitioned host) is
    /// noticed in about a minute, not after the kernel's two hours.
    public var usesKeepalives = false
    /// Send the password only through SCRAM-SHA-256: libpq refuses a server
    /// that asks for it in cleartext or as MD5 before answering (see
    /// ``LibPQPasswordSupport``). On for governed databases.
    public var sendsPasswordOnlyBySCRAM = false

    public init(host: String, port: Int = 5432, database: String, user: String, password: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
    }

    /// The keyword/value pairs for `PQconnectStartParams`.
    ///
    /// - Parameter statementTimeoutMilliseconds: sent as the session's
    ///   `statement_timeout`, so the server stops a statement at the call's
    ///   deadline even if Steward could not ask it to.
    package func keywordValues(connectTimeoutSeconds: Int?, statementTimeoutMilliseconds: Int? = nil) -> [(String, String)] {
        var pairs: [(String, String)] = [
            ("host", host), ("port", String(port)), ("dbname", database), ("user", user),
            ("sslmode", sslMode.rawValue), ("application_name", applicationName),
        ]
        // Otherwise never read ~/.pgpass: only what the caller gave.
        if !readsPasswordFile { pairs.append(("passfile", "/dev/null")) }
        if usesKeepalives {
            pairs += [("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3")]
        }
        if let password { pairs.append(("password", password)) }
        pairs += passwordPolicyKeywordValues
        if let sslRootCertificatePath { pairs.append(("sslrootcert", sslRootCertificatePath)) }
        var serverOptions = options.map { [$0] } ?? []
        if let statementTimeoutMilliseconds { serverOptions.append("-c statement_timeout=\(statementTimeoutMilliseconds)") }
        if !serverOptions.isEmpty { pairs.append(("options", serverOptions.joined(separator: " "))) }
        if let connectTimeoutSeconds { pairs.append(("connect_timeout", String(connectTimeoutSeconds))) }
        return pairs
    }

    public var description: String {
        "postgresql://\(user)@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }
}

/// What a caller chooses about a connection: where and how Steward connects.
/// The password is kept apart (the store seals it as a `Secret`).
public struct ConnectionSettings: Sendable, Hashable {
    public var displayName: String
    public var deploymentType: DeploymentType
    /// A DNS name, an IPv4 or IPv6 address, or a local socket directory.
    public var host: String
    public var port: Int
    public var stateDatabase: String
    /// In the order given; no duplicates, never the state database.
    public var governedDatabases: [String]
    public var username: String
    public var sslMode: SSLMode
    /// PEM text of the CA bundle that verifies the server, if one was given.
    public var caCertificate: String?
    /// Whether enforcement creates a subscriber role that does not exist
    /// (NOLOGIN, recorded as Steward's) instead of only reporting it.
    public var provisionMissingRoles: Bool

    public init(
        displayName: String, deploymentType: DeploymentType, host: String, port: Int,
        stateDatabase: String, governedDatabases: [String], username: String,
        sslMode: SSLMode, caCertificate: String? = nil, provisionMissingRoles: Bool = false
    ) {
        self.displayName = displayName
        self.deploymentType = deploymentType
        self.host = host
        self.port = port
        self.stateDatabase = stateDatabase
        self.governedDatabases = governedDatabases
        self.username = username
        self.sslMode = sslMode
        self.caCertificate = caCertificate
        self.provisionMissingRoles = provisionMissingRoles
    }
}

import StewardModel
import StewardPostgres
import StewardStore

/// Where and how a validation connects: the connection's settings turned
/// into libpq parameters, one database at a time.
struct ValidationTarget: Sendable {
    static let applicationName = "steward-validate"

    let settings: ConnectionSettings
    let password: String

    /// The host is a directory holding the server's Unix socket.
    var isLocalSocket: Bool { settings.host.hasPrefix("/") }

    /// The address for messages: `host:port`, `[v6]:port`, or the socket file.
    var address: String { Self.address(of: settings) }

    static func address(of settings: ConnectionSettings) -> String {
        if settings.host.hasPrefix("/") { return "socket \(settings.host)/.s.PGSQL.\(settings.port)" }
        return settings.host.contains(":") ? "[\(settings.host)]:\(settings.port)" : "\(settings.host):\(settings.port)"
    }

    /// Runs `body` with the parameters for `database`, the connection's CA
    /// bundle (if any) written to a private file that lives exactly as long
    /// as `body` runs.
    func withParameters<T>(
        database: String, _ body: (ConnectionParameters) async throws(DomainError) -> T
    ) async throws(DomainError) -> T {
        var caFile: CACertificateFile?
        if let pem = settings.caCertificate {
            do { caFile = try CACertificateFile(pem: pem) } catch {
                throw DomainError(.internalError, "cannot write the connection's CA bundle to a private file")
            }
        }
        defer { caFile?.remove() }
        return try await body(parameters(database: database, caFilePath: caFile?.path))
    }

    /// libpq parameters for `database`; `caFilePath` is the file holding the
    /// connection's CA bundle, if it has one.
    func parameters(database: String, caFilePath: String?) -> ConnectionParameters {
        var parameters = ConnectionParameters(
            host: settings.host, port: settings.port, database: database, user: settings.username, password: password)
        parameters.sslMode = settings.sslMode
        parameters.sslRootCertificatePath = caFilePath
        parameters.applicationName = Self.applicationName
        // The stored password goes only to a server that proves it knows it
        // (SCRAM), never in cleartext or as MD5.
        parameters.sendsPasswordOnlyBySCRAM = true
        if settings.deploymentType == .neon, let endpoint = Self.neonEndpoint(host: settings.host) {
            // Neon routes on the endpoint id. Clients without SNI cannot send
            // it in the TLS handshake, so Neon also reads it from `options`.
            parameters.options = "endpoint=\(endpoint)"
        }
        return parameters
    }

    /// Neon's endpoint id, the host name's first label when it starts with
    /// `ep-` (`ep-cool-darkness-123456.us-east-2.aws.neon.tech`). A pooled
    /// host adds `-pooler` to the label, which is not part of the id.
    static func neonEndpoint(host: String) -> String? {
        guard let label = host.split(separator: ".", maxSplits: 1).first, label.hasPrefix("ep-") else { return nil }
        let id = label.hasSuffix("-pooler") ? label.dropLast("-pooler".count) : label
        return String(id)
    }
}

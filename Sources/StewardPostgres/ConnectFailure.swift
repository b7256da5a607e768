import CLibPQ

extension PostgresConnection {
    /// Tells apart why a connection attempt failed. libpq reports connection
    /// failures as text only (no SQLSTATE reaches the caller), so this reads
    /// the messages libpq and the server send, which are stable across
    /// versions 15–18 and not translated (Steward's process runs with C
    /// messages: libpq's own strings come from its compiled-in catalogue).
    static func classifyConnectFailure(_ handle: OpaquePointer, _ parameters: ConnectionParameters) -> PostgresError {
        let message = errorMessage(handle)
        let lower = message.lowercased()
        let kind: PostgresError.Kind
        let sqlState: String?
        if lower.contains("no pg_hba.conf entry") && lower.contains("no encryption") {
            // The server accepts this login only over TLS.
            kind = .tls
            sqlState = "28000"
        } else if lower.contains("is not permitted to log in") {
            // A NOLOGIN role; the server checks this only after the
            // password, so the credentials themselves were right.
            kind = .authentication
            sqlState = "28000"
        } else if lower.contains("password authentication failed") || lower.contains("no password supplied")
            || lower.contains("authentication failed") || lower.contains("no pg_hba.conf entry")
            || lower.contains("role \"") && lower.contains("does not exist") {
            kind = .authentication
            // The server's codes: 28000 for a pg_hba refusal or an unknown
            // role (under trust), 28P01 for a failed password.
            sqlState = lower.contains("no pg_hba.conf entry") || lower.contains("does not exist") ? "28000" : "28P01"
        } else if lower.contains("database \"") && lower.contains("does not exist") {
            kind = .databaseMissing
            sqlState = "3D000"
        } else if lower.contains("permission denied for database") {
            // Checked before the TLS words: a host name may contain "ssl".
            kind = .connectNotPermitted
            sqlState = "42501"
        } else if lower.contains("ssl") || lower.contains("certificate") || lower.contains("tls") {
            kind = .tls
            sqlState = nil
        } else if lower.contains("timeout expired") {
            kind = .timeout
            sqlState = nil
        } else if lower.contains("could not connect") || lower.contains("connection refused")
            || lower.contains("could not translate host name") || lower.contains("no such file")
            || lower.contains("network is unreachable") || lower.contains("no route to host") {
            kind = .unreachable
            sqlState = nil
        } else {
            kind = .connectionLost
            sqlState = nil
        }
        return PostgresError(kind: kind, message: message, sqlState: sqlState)
    }
}

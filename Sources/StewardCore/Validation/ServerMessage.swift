import StewardPostgres

/// The words that matter in a libpq failure, for check messages.
enum ServerMessage {
    /// The server's or libpq's own words without the
    /// `connection to server at "h", port p failed:` prefix and the severity
    /// label: `password authentication failed for user "x"`. When libpq
    /// tried several addresses or TLS modes it reports each attempt; the last
    /// one is the one that decided. Control characters are escaped.
    static func essence(of error: PostgresError) -> String {
        let lines = error.message.split(whereSeparator: \.isNewline).map(String.init)
        guard let line = lines.last(where: { $0.contains(" failed: ") }) ?? lines.first else { return error.message }
        var text = Substring(line)
        if let range = text.range(of: " failed: ") { text = text[range.upperBound...] }
        for label in ["FATAL:", "ERROR:"] where text.hasPrefix(label) {
            text = text.dropFirst(label.count)
        }
        let essence = text.trimmingPrefix(while: \.isWhitespace)
        // The server (or whatever answers at its address) chooses these
        // words: no raw control character reaches a report or a terminal.
        return SQLQuoting.visible(essence.isEmpty ? error.message : String(essence))
    }

    /// The server refused the named database itself (not the login): it is
    /// missing, or the role lacks CONNECT on it. PostgreSQL checks both only
    /// after authentication, so such a refusal proves the credentials work.
    static func databaseRefusal(_ error: PostgresError) -> DatabaseRefusal? {
        if error.kind == .databaseMissing { return .missing }
        // Read from the text: libpq passes no SQLSTATE for connection failures
        // (and the classifier may have called it `.tls` if the host name holds "ssl").
        if error.message.contains("permission denied for database") { return .noConnectPrivilege }
        return nil
    }
}

/// Why the server would not open a database for a role that logged in.
enum DatabaseRefusal: Sendable, Equatable {
    case missing
    case noConnectPrivilege
}

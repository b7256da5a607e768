import Glibc

/// The rules for the names a connection is given — its key, its databases and
/// role, its host — in one place, so the daemon and the CLI's as-you-type
/// checks cannot disagree. Each failure names the field and says what is
/// allowed.
public enum ConnectionNameRules {
    /// Words that would be ambiguous as a connection key in API paths and
    /// data source names.
    public static let reservedKeys: Set<String> = [
        "data", "connection", "object", "crawl", "search", "settings", "metadata",
        "permission", "sync", "bulk", "upgrade",
    ]

    /// PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently cut.
    public static let maxIdentifierBytes = 63

    /// Checks a display name, which becomes the connection key.
    public static func checkKey(_ key: String, field: String = "display_name") throws(InputProblem) {
        guard !key.isEmpty else { throw InputProblem(field, "is required") }
        guard key.count <= 64 else {
            throw InputProblem(field, "is \(key.count) characters; at most 64 are allowed")
        }
        guard key.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }) else {
            throw InputProblem(field, "\(VisibleText.quoted(key)) may contain only letters, digits, '-' and '_'")
        }
        guard !reservedKeys.contains(key.lowercased()) else {
            throw InputProblem(field, "\"\(key)\" is a reserved word; choose another name")
        }
    }

    /// A database or role name: 1 to 63 bytes, no control characters, line
    /// separators or bidirectional controls (legal in PostgreSQL, but they
    /// would break or disguise the lines of a setup script). Names found on a
    /// server (discovered databases) must pass it too.
    public static func checkIdentifier(_ name: String, field: String) throws(InputProblem) {
        guard !name.isEmpty else { throw InputProblem(field, "is required") }
        guard !name.unicodeScalars.contains(where: VisibleText.needsEscape) else {
            throw InputProblem(field, "\(VisibleText.quoted(name)) contains a control character (such as a line break)")
        }
        guard name.utf8.count <= maxIdentifierBytes else {
            throw InputProblem(field, "is \(name.utf8.count) bytes; PostgreSQL names are at most 63 bytes")
        }
    }

    /// A DNS name, an IPv4 or IPv6 address, or an absolute socket directory.
    public static func checkHost(_ host: String) throws(InputProblem) {
        guard !host.isEmpty else { throw InputProblem("host", "is required") }
        if host.hasPrefix("/") {
            // A path may hold any byte but NUL; a line break in it would
            // reach the setup script's header and libpq's conninfo.
            guard !host.unicodeScalars.contains(where: VisibleText.needsEscape) else {
                throw InputProblem("host", "socket directory \(VisibleText.quoted(host)) contains a control character (such as a line break)")
            }
            // libpq appends "/.s.PGSQL.<port>" to a socket directory.
            guard host.utf8.count + 18 <= 107 else {
                throw InputProblem("host", "socket directory \(host) is too long for a Unix socket address")
            }
            return
        }
        if isIPAddress(host) { return }
        guard isDNSName(host) else {
            throw InputProblem(
                "host", "\(VisibleText.quoted(host)) is not a DNS name, an IPv4 or IPv6 address, or an absolute socket directory")
        }
    }

    static func isIPAddress(_ text: String) -> Bool {
        // inet_pton reads a C string, which ends at a NUL: "::1\0<anything>"
        // would pass as "::1" with the rest unchecked.
        guard !text.utf8.contains(0) else { return false }
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

import Foundation
import StewardModel
import StewardPostgres

extension ConnectionParameters {
    /// Parameters from a `postgresql://` (or `postgres://`) URL or a libpq
    /// keyword/value string (`host=… port=… dbname=… user=… password=…
    /// sslmode=… sslrootcert=… application_name=…`). Unknown keywords are
    /// refused rather than ignored. Messages never repeat the password.
    public static func parse(_ text: String) throws(StoreError) -> ConnectionParameters {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let isURL = trimmed.hasPrefix("postgresql://") || trimmed.hasPrefix("postgres://")
        let pairs = try isURL ? urlPairs(trimmed) : keywordPairs(trimmed)
        var values: [String: String] = [:]
        for (keyword, value) in pairs { values[keyword] = value }
        let known: Set = [
            "host", "port", "dbname", "user", "password", "sslmode", "sslrootcert", "application_name", "options",
        ]
        for (index, (keyword, _)) in pairs.enumerated() where !known.contains(keyword) {
            // Right after an unquoted password, the "keyword" is likely the rest of it: never shown.
            if !isURL, index > 0, pairs[index - 1].0 == "password" {
                throw StoreError(.invalidArgument, Self.afterPassword)
            }
            throw StoreError(.invalidArgument, "the registry connection string has an unknown parameter \(VisibleText.quoted(keyword))")
        }
        // libpq takes C strings and would cut a value at a NUL (a URL's %00 included).
        if let cut = values.keys.sorted().first(where: { values[$0]!.utf8.contains(0) }) {
            throw StoreError(.invalidArgument, "the registry connection string's \(cut) holds a NUL character")
        }
        var port = 5432
        if let text = values["port"] {
            guard let number = Int(text), (1...65535).contains(number) else {
                throw StoreError(.invalidArgument, "the registry connection string has an invalid port")
            }
            port = number
        }
        guard let user = values["user"], !user.isEmpty else {
            throw StoreError(.invalidArgument, "the registry connection string names no user")
        }
        var parameters = ConnectionParameters(
            host: values["host"] ?? "localhost", port: port, database: values["dbname"] ?? user, user: user,
            password: values["password"])
        if let mode = values["sslmode"] {
            guard let sslMode = SSLMode(rawValue: mode) else {
                throw StoreError(.invalidArgument, "the registry connection string has an invalid sslmode")
            }
            parameters.sslMode = sslMode
        }
        parameters.sslRootCertificatePath = values["sslrootcert"]
        if let name = values["application_name"] { parameters.applicationName = name }
        parameters.options = values["options"]
        return parameters
    }

    private static func urlPairs(_ text: String) throws(StoreError) -> [(String, String)] {
        guard let components = URLComponents(string: text) else {
            throw StoreError(.invalidArgument, "the registry connection string is not a valid URL")
        }
        var pairs: [(String, String)] = []
        if let host = components.host, !host.isEmpty { pairs.append(("host", host)) }
        if let port = components.port { pairs.append(("port", String(port))) }
        if let user = components.user { pairs.append(("user", user)) }
        if let password = components.password { pairs.append(("password", password)) }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        if !path.isEmpty { pairs.append(("dbname", path)) }
        for item in components.queryItems ?? [] { pairs.append((item.name, item.value ?? "")) }
        return pairs
    }

    static let afterPassword =
        "the registry connection string is malformed after the password; quote a value that holds spaces (password='…')"

    /// `keyword = value` pairs separated by spaces; a value may be single
    /// quoted, with `\'` and `\\` escapes, as libpq reads them.
    private static func keywordPairs(_ text: String) throws(StoreError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var characters = Substring(text)
        var previousKeyword: String?
        func skipSpaces() { while characters.first?.isWhitespace == true { characters.removeFirst() } }
        while true {
            skipSpaces()
            guard !characters.isEmpty else { break }
            var keyword = ""
            while let next = characters.first, next != "=", !next.isWhitespace {
                keyword.append(characters.removeFirst())
            }
            skipSpaces()
            guard characters.first == "=", !keyword.isEmpty else {
                // After an unquoted password, the word is likely the rest of it: never shown.
                if previousKeyword == "password" { throw StoreError(.invalidArgument, afterPassword) }
                throw StoreError(.invalidArgument, "the registry connection string is malformed near \(VisibleText.quoted(keyword))")
            }
            characters.removeFirst()
            skipSpaces()
            var value = ""
            if characters.first == "'" {
                characters.removeFirst()
                var closed = false
                while let next = characters.first {
                    characters.removeFirst()
                    if next == "\\", let escaped = characters.first {
                        characters.removeFirst()
                        value.append(escaped)
                    } else if next == "'" {
                        closed = true
                        break
                    } else {
                        value.append(next)
                    }
                }
                guard closed else {
                    throw StoreError(.invalidArgument, "the registry connection string has an unterminated quote")
                }
            } else {
                while let next = characters.first, !next.isWhitespace {
                    characters.removeFirst()
                    if next == "\\", let escaped = characters.first {
                        characters.removeFirst()
                        value.append(escaped)
                    } else {
                        value.append(next)
                    }
                }
            }
            pairs.append((keyword, value))
            previousKeyword = keyword
        }
        return pairs
    }
}

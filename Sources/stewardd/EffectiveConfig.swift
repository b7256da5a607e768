import Foundation

/// `stewardd --print-config`: every setting's effective value, as TOML that
/// could be pasted into a config file, each with where it came from.
enum EffectiveConfig {
    static func render(_ settings: DaemonSettings) -> String {
        var lines = ["# stewardd's effective settings: flag > environment > config file > default"]
        lines.append("# config file: " + (settings.configFile ?? "none"))
        let given = Set(settings.effective.map(\.key))
        for entry in settings.effective {
            let value = entry.key == .storeURL ? redactingPassword(entry.value) : entry.value
            lines.append("\(entry.key.rawValue) = \(tomlValue(value, kind: entry.key.kind))  # \(entry.origin)")
        }
        for key in DaemonSettingKey.allCases where !given.contains(key) {
            lines.append("# \(key.rawValue) is not set")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func tomlValue(_ value: String, kind: DaemonSettingKey.Kind) -> String {
        switch kind {
        case .number, .yesNo: return value
        case .text: return quoted(value)
        }
    }

    /// A TOML basic string. A JSON string is one (TOML's escapes are
    /// JSON's, slashes left alone) except that TOML also wants DEL escaped.
    static func quoted(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes])) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self).replacing("\u{7F}", with: "\\u007F")
    }

    /// A password written into the registry's URL (`user:secret@`) or
    /// key=value string (`password=secret`) is never printed.
    static func redactingPassword(_ url: String) -> String {
        var text = url
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@"),
           let colon = text[scheme.upperBound..<at].firstIndex(of: ":") {
            text.replaceSubrange(text.index(after: colon)..<at, with: "[REDACTED]")
        }
        if let range = text.range(of: #"password\s*=\s*('[^']*'|\S+)"#, options: [.regularExpression, .caseInsensitive]) {
            text.replaceSubrange(range, with: "password=[REDACTED]")
        }
        return text
    }
}

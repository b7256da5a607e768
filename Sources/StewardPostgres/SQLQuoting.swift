/// Quoting for SQL that Steward generates (the setup script, remediation
/// SQL): a name or value from a user, a catalog or an attacker becomes one
/// token, whatever it contains, and never spans a line.
///
/// Done in Swift rather than with `PQescapeIdentifier`/`PQescapeLiteral`
/// because setup scripts are generated without a connection; the rules are
/// the same as libpq's, except that characters that would break or disguise
/// a line (``needsEscape(_:)``) are written as escapes, never raw: a script
/// line must read the same in an editor as it does to psql.
public enum SQLQuoting {
    /// `"name"` with embedded double quotes doubled: `a"b` → `"a""b"`.
    /// Mixed case and non-ASCII are preserved exactly as PostgreSQL stores them.
    /// A name holding a character that ``needsEscape(_:)`` uses the Unicode
    /// form `U&"a\000Ab"`, which means the same name and (unlike `U&'…'`
    /// literals) does not depend on `standard_conforming_strings`.
    public static func identifier(_ name: String) -> String {
        let doubled = name.replacing("\"", with: "\"\"")
        guard name.unicodeScalars.contains(where: needsEscape) else { return "\"" + doubled + "\"" }
        var quoted = "U&\""
        for scalar in doubled.unicodeScalars {
            if scalar == "\\" {
                quoted += "\\\\"
            } else if needsEscape(scalar) {
                quoted += "\\+" + hex(scalar.value, digits: 6)
            } else {
                quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }

    /// `'value'` with quotes doubled. A value holding a backslash or a
    /// character that ``needsEscape(_:)`` uses the escape-string form
    /// `E'…'` (backslashes doubled, those characters as `\uXXXX` /
    /// `\UXXXXXXXX`), so the result means the same whether
    /// `standard_conforming_strings` is on or off.
    public static func literal(_ value: String) -> String {
        let quoted = value.replacing("'", with: "''")
        guard value.unicodeScalars.contains(where: { $0 == "\\" || needsEscape($0) }) else { return "'" + quoted + "'" }
        var escaped = "E'"
        for scalar in quoted.unicodeScalars {
            if scalar == "\\" {
                escaped += "\\\\"
            } else if needsEscape(scalar) {
                escaped += scalar.value <= 0xFFFF ? "\\u" + hex(scalar.value, digits: 4) : "\\U" + hex(scalar.value, digits: 8)
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "'"
    }

    /// A qualified name, each part quoted: `"schema"."table"`.
    public static func qualified(_ parts: String...) -> String {
        parts.map(identifier).joined(separator: ".")
    }

    /// Characters that must never appear raw in a line of a script for psql:
    /// control characters (psql ends a line, and with it a `--` comment, at
    /// CR as well as LF, and a line break lets the next line start with a
    /// meta-command such as `\!`), Unicode line and paragraph separators
    /// (editors break lines there), and bidirectional controls (they make a
    /// line display in another order than psql reads it).
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: return bidirectionalControls.contains(scalar.value)
        }
    }

    /// U+061C, U+200E–U+200F, U+202A–U+202E and U+2066–U+2069.
    private static let bidirectionalControls: Set<UInt32> = [
        0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
    ]

    /// `value` as a readable single-line text, each character that
    /// ``needsEscape(_:)`` written as `\n`, `\r`, `\t` or `\u{…}`: how a
    /// name appears in comments and messages.
    public static func visible(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: needsEscape) else { return value }
        var text = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where needsEscape(scalar): text += "\\u{" + hex(scalar.value, digits: 4) + "}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

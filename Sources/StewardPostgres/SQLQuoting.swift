import StewardModel

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

    /// Whether `scalar` must be escaped in a script line (``VisibleText/needsEscape(_:)``).
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool { VisibleText.needsEscape(scalar) }

    /// `value` as a readable single-line text (``VisibleText/visible(_:)``).
    public static func visible(_ value: String) -> String { VisibleText.visible(value) }

    private static func hex(_ value: UInt32, digits: Int) -> String { VisibleText.hex(value, digits: digits) }
}

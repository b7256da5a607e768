/// Quoting for SQL that Steward generates (the setup script, remediation
/// SQL): a name or value from a user, a catalog or an attacker becomes one
/// token, whatever it contains.
///
/// Done in Swift rather than with `PQescapeIdentifier`/`PQescapeLiteral`
/// because setup scripts are generated without a connection; the rules are
/// the same as libpq's.
public enum SQLQuoting {
    /// `"name"` with embedded double quotes doubled: `a"b` → `"a""b"`.
    /// Mixed case and non-ASCII are preserved exactly as PostgreSQL stores them.
    public static func identifier(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    /// `'value'` with quotes doubled. A value holding a backslash uses the
    /// escape-string form `E'…'` with backslashes doubled, so the result means
    /// the same whether `standard_conforming_strings` is on or off.
    public static func literal(_ value: String) -> String {
        let quoted = value.replacing("'", with: "''")
        guard value.contains("\\") else { return "'" + quoted + "'" }
        return "E'" + quoted.replacing("\\", with: "\\\\") + "'"
    }

    /// A qualified name, each part quoted: `"schema"."table"`.
    public static func qualified(_ parts: String...) -> String {
        parts.map(identifier).joined(separator: ".")
    }
}

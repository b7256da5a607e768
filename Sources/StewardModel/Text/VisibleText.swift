/// Characters that must never reach a line raw, and how text shows them
/// instead. Names are checked against this wherever they enter (the daemon's
/// input rules, the CLI's as-you-type checks) and SQL quoting escapes the
/// same set, so a name can neither break nor disguise a line of a script.
public enum VisibleText {
    /// Control characters (psql ends a line, and with it a `--` comment, at
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

    /// A name as messages show it: double-quoted and ``visible(_:)``.
    public static func quoted(_ name: String) -> String {
        "\"" + visible(name) + "\""
    }

    /// `value` in upper-case hexadecimal, zero-padded to `digits`.
    public static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

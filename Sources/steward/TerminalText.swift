import StewardModel

/// Text from the daemon (names, messages, audit text: anything a user could
/// have typed) made safe to print to a terminal.
///
/// A raw ESC can rewrite the screen or the window title, a carriage return or
/// newline can forge a line of output, and bidi overrides (U+202E) make a
/// name read differently from what it is. Each such character prints as a
/// visible escape instead: `\n`, `\r`, `\t`, or `\u{1B}` for the rest.
/// JSON output needs none of this: the encoder escapes every control
/// character, and bidi characters there are data for a program, not a screen.
enum TerminalText {
    /// Every control and bidi character escaped; for one value (a cell, a name).
    static func escaped(_ text: String) -> String {
        escape(text, keepingLineBreaks: false)
    }

    /// The same, except that "\n" stays a line break: for whole blocks of
    /// output whose values were escaped where they were put in.
    static func escapedKeepingLineBreaks(_ text: String) -> String {
        escape(text, keepingLineBreaks: true)
    }

    private static func escape(_ text: String, keepingLineBreaks: Bool) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepingLineBreaks) }) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, keepingLineBreaks) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default: result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return result
    }

    /// The model's set (``VisibleText/needsEscape(_:)``: controls, line and
    /// paragraph separators, bidi controls), the one the daemon's input rules
    /// and SQL quoting use too; only the escape spelling here is the CLI's.
    private static func needsEscape(_ scalar: Unicode.Scalar, _ keepingLineBreaks: Bool) -> Bool {
        if keepingLineBreaks && scalar == "\n" { return false }
        return VisibleText.needsEscape(scalar)
    }
}

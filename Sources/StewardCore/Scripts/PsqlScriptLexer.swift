import StewardPostgres

/// Reads SQL the way psql's lexer does, to find what psql would act on
/// before the server sees it: a backslash outside quotes (psql runs a
/// meta-command wherever it finds one, mid-line too, not only at a line's
/// start) and `:name` variable interpolation. Stricter than psql where
/// strictness costs nothing: a quoted token or block comment may not span a
/// line, no raw control character may appear anywhere, and a standard
/// `'…'` string may not hold a backslash (psql and the server read it
/// differently when `standard_conforming_strings` is off). ``SQLQuoting``
/// never produces any of these.
enum PsqlScriptLexer {
    struct Problem: Equatable {
        /// Zero-based line of the text where the problem is.
        var line: Int
        var message: String
    }

    static func problem(in text: String) -> Problem? {
        var reader = Reader(Array(text.unicodeScalars))
        return reader.sql()
    }

    private struct Reader {
        let scalars: [Unicode.Scalar]
        var index = 0
        var line = 0

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            index + offset < scalars.count ? scalars[index + offset] : nil
        }

        func fail(_ message: String) -> Problem { Problem(line: line, message: message) }

        /// SQL up to the end of the text.
        mutating func sql() -> Problem? {
            while let scalar = peek() {
                switch scalar {
                case "\n":
                    line += 1
                    index += 1
                case "-" where peek(1) == "-":
                    while let next = peek(), next != "\n" {
                        if SQLQuoting.needsEscape(next) { return fail("holds a raw control character in a comment") }
                        index += 1
                    }
                case "/" where peek(1) == "*":
                    if let problem = blockComment() { return problem }
                case "'":
                    if let problem = string(escapes: isEscapeStringPrefix()) { return problem }
                case "\"":
                    if let problem = quotedIdentifier() { return problem }
                case "$" where !(index >= 1 && Self.isIdentifierCharacter(scalars[index - 1])):
                    if let tag = dollarTag() {
                        if let problem = dollarQuoted(tag) { return problem }
                    } else {
                        index += 1
                    }
                case "\\":
                    return fail("has a backslash outside quotes, which psql would run as a meta-command")
                case ":":
                    if peek(1) == ":" {
                        index += 2
                    } else if let next = peek(1), next == "'" || next == "\"" || next == "{" || Self.isIdentifierStart(next) {
                        return fail("has a psql variable reference (:name) outside quotes")
                    } else {
                        index += 1
                    }
                case _ where SQLQuoting.needsEscape(scalar):
                    return fail("holds a raw control character")
                default:
                    index += 1
                }
            }
            return nil
        }

        /// A dollar-quoted body: it ends where psql ends it, at the next
        /// `tag`, whatever comes between; and it must read as SQL on its own
        /// too (stricter than psql, which takes it as inert text), since
        /// Steward writes only code there.
        mutating func dollarQuoted(_ tag: [Unicode.Scalar]) -> Problem? {
            let start = index + tag.count
            var end = start
            while end + tag.count <= scalars.count, Array(scalars[end..<end + tag.count]) != tag { end += 1 }
            guard end + tag.count <= scalars.count else { return fail("has a dollar-quoted body that is never closed") }
            var body = Reader(Array(scalars[start..<end]))
            if var problem = body.sql() {
                problem.line += line
                return problem
            }
            line += body.line
            index = end + tag.count
            return nil
        }

        /// `'…'`, with `''` for a quote; with `escapes` (an `E'…'` string)
        /// a backslash escapes the next character.
        mutating func string(escapes: Bool) -> Problem? {
            index += 1
            while let scalar = peek() {
                if scalar == "\n" || SQLQuoting.needsEscape(scalar) {
                    return fail("has a quoted string holding a raw line break or control character")
                }
                if scalar == "'" {
                    if peek(1) == "'" { index += 2; continue }
                    index += 1
                    return nil
                }
                if scalar == "\\" {
                    guard escapes else {
                        return fail("has a backslash in a standard string, which reads differently when standard_conforming_strings is off")
                    }
                    guard let escaped = peek(1), escaped != "\n", !SQLQuoting.needsEscape(escaped) else {
                        return fail("has a quoted string holding a raw line break or control character")
                    }
                    index += 2
                    continue
                }
                index += 1
            }
            return fail("has a quoted string that is never closed")
        }

        /// `"…"` (or `U&"…"`), with `""` for a quote.
        mutating func quotedIdentifier() -> Problem? {
            index += 1
            while let scalar = peek() {
                if scalar == "\n" || SQLQuoting.needsEscape(scalar) {
                    return fail("has a quoted name holding a raw line break or control character")
                }
                if scalar == "\"" {
                    if peek(1) == "\"" { index += 2; continue }
                    index += 1
                    return nil
                }
                index += 1
            }
            return fail("has a quoted name that is never closed")
        }

        /// `/* … */`, nested as PostgreSQL nests them, on one line.
        mutating func blockComment() -> Problem? {
            var depth = 0
            while let scalar = peek() {
                if scalar == "\n" || SQLQuoting.needsEscape(scalar) {
                    return fail("has a block comment holding a line break or control character")
                }
                if scalar == "/" && peek(1) == "*" {
                    depth += 1
                    index += 2
                } else if scalar == "*" && peek(1) == "/" {
                    depth -= 1
                    index += 2
                    if depth == 0 { return nil }
                } else {
                    index += 1
                }
            }
            return fail("has a block comment that is never closed")
        }

        /// `$tag$` at the reader (tag possibly empty), or nil when the `$`
        /// starts no dollar quote (a parameter such as `$1`).
        func dollarTag() -> [Unicode.Scalar]? {
            var end = index + 1
            if end < scalars.count, Self.isIdentifierStart(scalars[end]) {
                end += 1
                while end < scalars.count, scalars[end] != "$", Self.isIdentifierCharacter(scalars[end]) { end += 1 }
            }
            guard end < scalars.count, scalars[end] == "$" else { return nil }
            return Array(scalars[index...end])
        }

        /// Whether the quote at the reader opens an `E'…'` string: an `E`
        /// right before it that is not the end of a longer word.
        func isEscapeStringPrefix() -> Bool {
            guard index >= 1, scalars[index - 1] == "E" || scalars[index - 1] == "e" else { return false }
            return index < 2 || !Self.isIdentifierCharacter(scalars[index - 2])
        }

        static func isIdentifierCharacter(_ scalar: Unicode.Scalar) -> Bool {
            Self.isIdentifierStart(scalar) || ("0"..."9").contains(scalar) || scalar == "$"
        }

        static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_" || !scalar.isASCII
        }
    }
}

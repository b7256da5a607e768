import StewardModel
import StewardPostgres

/// The one writer of every script Steward hands a database administrator
/// to run with psql (the setup script, remediation SQL). psql runs any
/// backslash command it finds outside quotes, `\! command` included, as the
/// administrator: a name that smuggles a line break into a comment, or a
/// backslash outside quotes, turns inert text into a shell command. So every
/// line goes through here, and the writer refuses to hand out a script in
/// which psql would find a meta-command the writer did not put there itself
/// (``PsqlScriptLexer`` reads SQL the way psql's lexer does).
///
/// A refusal is a thrown ``Refusal``, not a `precondition`: it means an
/// unescaped value reached the script, which is a bug, but one that a name
/// chosen on a governed server could reach; crashing would let whoever names
/// a table stop the daemon for every connection, where refusing the one
/// script fails closed and keeps the rest running.
struct PsqlScript {
    /// The psql meta-commands Steward's scripts use; nothing else can start a
    /// line with a backslash.
    enum MetaCommand {
        /// `\set name value`, for psql's own settings (ON_ERROR_STOP, QUIET).
        case set(PsqlSetting)
        /// `\connect` to a database on the same server as the same user.
        case connect(database: String)
    }

    enum PsqlSetting: String {
        case onErrorStop = "ON_ERROR_STOP on"
        case quiet = "QUIET on"
    }

    /// Why a script was not handed out: the line and what psql would have
    /// made of it. Never holds the offending text, which may be hostile.
    struct Refusal: Error, CustomStringConvertible {
        let line: Int
        let problem: String
        var description: String { "line \(line) of the script \(problem)" }
    }

    private var lines: [String] = []
    /// The lines the writer put a meta-command on itself.
    private var metaCommandLines: Set<Int> = []
    private var refusal: Refusal?

    init() {}

    /// An empty line.
    mutating func blank() {
        lines.append("")
    }

    /// `--` comment lines: one per line of `text` (its line breaks are the
    /// caller's layout), each character that ``SQLQuoting/needsEscape(_:)``
    /// made visible instead of raw, so a comment never ends early. Names
    /// belong in comments through ``shown(_:)``.
    mutating func comment(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lines.append(line.isEmpty ? "--" : "-- " + SQLQuoting.visible(String(line)))
        }
    }

    /// SQL, possibly over several lines of the caller's layout, every name
    /// and value in it quoted with ``SQLQuoting``. Refused when psql would
    /// find a meta-command or a variable in it, or when a quoted token or
    /// comment spans a line.
    mutating func sql(_ text: String) {
        append(text, metaCommandSuffix: nil)
    }

    /// A query whose result rows psql runs as statements (`\gexec`): for
    /// what cannot run inside a transaction or a DO block, or must be
    /// repeated per catalog row.
    mutating func gexec(_ query: String) {
        append(query, metaCommandSuffix: "\\gexec")
    }

    mutating func meta(_ command: MetaCommand) {
        metaCommandLines.insert(lines.count)
        switch command {
        case .set(let setting): lines.append("\\set " + setting.rawValue)
        case .connect(let database): lines.append(Self.connectCommand(to: database))
        }
    }

    /// The script, ending with a line break. Besides what ``sql(_:)``
    /// checked as it came in, the whole script is checked line by line: no
    /// line starts with a backslash unless the writer put a meta-command
    /// there, and no line holds a raw control character.
    func text() throws(Refusal) -> String {
        if let refusal { throw refusal }
        for (index, line) in lines.enumerated() {
            if line.drop(while: { $0 == " " }).hasPrefix("\\") && !metaCommandLines.contains(index) {
                throw Refusal(line: index + 1, problem: "starts with a backslash the writer did not put there")
            }
            if line.unicodeScalars.contains(where: SQLQuoting.needsEscape) {
                throw Refusal(line: index + 1, problem: "holds a raw control character")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A name as comments show it: double-quoted, with line breaks and other
    /// characters that would break or disguise a line written as escapes.
    static func shown(_ name: String) -> String { VisibleText.quoted(name) }

    // MARK: Checking

    private mutating func append(_ text: String, metaCommandSuffix: String?) {
        let first = lines.count + 1
        if refusal == nil, let problem = PsqlScriptLexer.problem(in: text) {
            refusal = Refusal(line: first + problem.line, problem: problem.message)
        }
        var added = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let metaCommandSuffix { added[added.count - 1] += " " + metaCommandSuffix }
        lines += added
    }

    // MARK: \connect

    /// `\connect` to `database` on the same server as the same user. Three
    /// layers, innermost first: a conninfo `dbname='…'` value (so that a name
    /// holding `=` cannot be read as a connection string); double quotes,
    /// because psql reads `\connect` arguments like SQL identifiers and drops
    /// double quotes unless doubled inside them; and a single-quoted psql
    /// argument, where psql reads `''` as a quote and C-like escapes (`\\`,
    /// `\012`), so every byte can be written as a printable escape and the
    /// argument can never end the line.
    static func connectCommand(to database: String) -> String {
        let conninfo = "dbname='" + database.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
        let identifier = "\"" + conninfo.replacing("\"", with: "\"\"") + "\""
        var argument = "'"
        for scalar in identifier.unicodeScalars {
            switch scalar {
            case "'": argument += "''"
            case "\\": argument += "\\\\"
            case _ where SQLQuoting.needsEscape(scalar):
                for byte in String(scalar).utf8 {
                    let octal = String(byte, radix: 8)
                    argument += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
                }
            default: argument.unicodeScalars.append(scalar)
            }
        }
        return "\\connect -reuse-previous=on " + argument + "'"
    }
}

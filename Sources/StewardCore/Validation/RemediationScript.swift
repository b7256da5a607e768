import StewardPostgres

/// Remediation SQL for psql, written for a superuser connected to any
/// database: statements that need a particular database come after a
/// `\connect` to it, and every name and value is quoted. Written through
/// ``PsqlScript``, like the setup script, so names read from a governed
/// server's catalog cannot make psql run anything.
struct RemediationScript {
    private var script = PsqlScript()
    private let heading: String
    private var hasStatements = false
    private var connectedTo: String?

    init(_ heading: String) {
        self.heading = heading
        script.meta(.set(.onErrorStop))
        script.comment(heading)
    }

    /// `--` comment lines; names in them go through `PsqlScript.shown`.
    mutating func comment(_ text: String) {
        script.comment(text)
    }

    /// One SQL statement that changes something.
    mutating func statement(_ sql: String) {
        script.sql(sql)
        hasStatements = true
    }

    /// A query whose result rows psql runs as statements (`\gexec`).
    mutating func gexec(_ query: String) {
        script.gexec(query)
        hasStatements = true
    }

    /// Moves to `database`, unless the script is there already.
    mutating func connect(to database: String) {
        guard connectedTo != database else { return }
        script.meta(.connect(database: database))
        connectedTo = database
    }

    /// The script, or nil when it would change nothing. Should the writer
    /// refuse it (a value reached it unescaped: a bug), the check still
    /// fails, with a script that only says why the SQL was withheld, rather
    /// than one psql could be tricked by.
    var text: String? {
        guard hasStatements else { return nil }
        do { return try script.text() } catch {
            var withheld = PsqlScript()
            withheld.comment("\(heading)\nThe remediation SQL was withheld: \(error). Please report this.")
            return try? withheld.text()
        }
    }
}

import StewardPostgres

/// Remediation SQL for psql, written for a superuser connected to any
/// database: statements that need a particular database come after a
/// `\connect` to it, and every name and value is quoted.
struct RemediationScript {
    private var lines = ["\\set ON_ERROR_STOP on"]
    private var hasStatements = false
    private var connectedTo: String?

    init(_ heading: String) {
        lines.append("-- \(heading)")
    }

    /// A `--` comment line (the text must not hold a line break).
    mutating func comment(_ text: String) {
        lines.append("-- \(text)")
    }

    /// One SQL statement or psql line that changes something.
    mutating func statement(_ sql: String) {
        lines.append(sql)
        hasStatements = true
    }

    /// Moves to `database`, unless the script is there already.
    mutating func connect(to database: String) {
        guard connectedTo != database else { return }
        lines.append(SetupScript.connectCommand(to: database))
        connectedTo = database
    }

    /// The script, or nil when it would change nothing.
    var text: String? {
        hasStatements ? lines.joined(separator: "\n") + "\n" : nil
    }
}

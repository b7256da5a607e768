import StewardModel
import StewardPostgres
import StewardStore

/// What a refused login means, in words an administrator can act on,
/// followed by the server's SQLSTATE and own message (escaped: a server, or
/// whatever answers at its address, chooses those words).
enum LoginFailure {
    static func result(_ error: PostgresError, target: ValidationTarget) -> CheckResult {
        let role = SQLQuoting.identifier(target.settings.username)
        let essence = ServerMessage.essence(of: error)
        let lower = essence.lowercased()
        // libpq gives no SQLSTATE for a connection refusal; 53300 is the one the server sent.
        let sqlState = error.sqlState ?? (isRoleConnectionLimit(essence) ? "53300" : nil)
        let server = "(server: " + (sqlState.map { "SQLSTATE \($0): " } ?? "") + essence + ")"
        if lower.contains("is not permitted to log in") {
            // PostgreSQL checks LOGIN only after the password: the password is right.
            var script = RemediationScript("Lets the role log in.")
            script.statement("ALTER ROLE \(role) LOGIN;")
            return ValidationCheck.login.failed(
                "role \(role) may not log in (NOLOGIN); the password was accepted \(server)", remediation: script.text)
        }
        if isRoleConnectionLimit(lower) {
            // Checked after the password too: the credentials are right, but the
            // role's CONNECTION LIMIT (0 forbids every session) is used up.
            var script = RemediationScript("Lifts the role's connection limit.")
            script.statement("ALTER ROLE \(role) CONNECTION LIMIT -1;")
            return ValidationCheck.login.failed(
                "role \(role) has reached its CONNECTION LIMIT; the password was accepted \(server)", remediation: script.text)
        }
        if lower.contains("password authentication failed") {
            // The server sends the same words for a wrong password and an
            // expired one (VALID UNTIL), so that a client cannot probe which.
            // The remediation changes the role only if its VALID UNTIL has
            // passed, so running it for a wrong password changes nothing.
            var script = RemediationScript("Lifts the role's VALID UNTIL if it has passed (a wrong password needs ALTER ROLE … PASSWORD instead).")
            script.gexec("""
                SELECT pg_catalog.format('ALTER ROLE %I VALID UNTIL %L', rolname, 'infinity')
                  FROM pg_catalog.pg_roles
                 WHERE rolname = \(SQLQuoting.literal(target.settings.username)) AND rolvaliduntil < pg_catalog.now()
                """)
            return ValidationCheck.login.failed(
                "password authentication failed for role \(role): wrong password, or its VALID UNTIL has passed "
                    + "(PostgreSQL does not tell a client which) \(server)", remediation: script.text)
        }
        if lower.contains("no pg_hba.conf entry") {
            return ValidationCheck.login.failed(
                "the server's pg_hba.conf has no entry that lets role \(role) log in from here \(server)")
        }
        return ValidationCheck.login.failed("the server refused the login of role \(role) \(server)")
    }

    /// `too many connections for role "x"` (SQLSTATE 53300), which libpq
    /// reports without a code.
    static func isRoleConnectionLimit(_ essence: String) -> Bool {
        essence.lowercased().contains("too many connections for role")
    }
}

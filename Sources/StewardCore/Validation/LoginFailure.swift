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
        let server = "(server: " + (error.sqlState.map { "SQLSTATE \($0): " } ?? "") + essence + ")"
        if lower.contains("is not permitted to log in") {
            // PostgreSQL checks LOGIN only after the password: the password is right.
            var script = RemediationScript("Lets the role log in.")
            script.statement("ALTER ROLE \(role) LOGIN;")
            return ValidationCheck.login.failed(
                "role \(role) may not log in (NOLOGIN); the password was accepted \(server)", remediation: script.text)
        }
        if lower.contains("password authentication failed") {
            // The server sends the same words for a wrong password and an
            // expired one (VALID UNTIL), so that a client cannot probe which.
            return ValidationCheck.login.failed(
                "password authentication failed for role \(role): wrong password, or its VALID UNTIL has passed "
                    + "(PostgreSQL does not tell a client which) \(server)")
        }
        if lower.contains("no pg_hba.conf entry") {
            return ValidationCheck.login.failed(
                "the server's pg_hba.conf has no entry that lets role \(role) log in from here \(server)")
        }
        return ValidationCheck.login.failed("the server refused the login of role \(role) \(server)")
    }
}

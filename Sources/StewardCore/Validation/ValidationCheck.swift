import StewardStore

/// The validation checks, in the order they run, named as clients see them
/// (`CheckResult.name`). The names are part of the API: never rename one.
public enum ValidationCheck: String, CaseIterable, Sendable {
    /// A TCP or Unix socket connection could be made.
    case reachable
    /// TLS is in use as the connection's settings require.
    case tls
    /// The server accepted the credentials.
    case login
    /// The server runs PostgreSQL 16 or 17.
    case serverVersion = "server_version"
    /// The state database exists, apart from the governed ones.
    case stateDatabase = "state_database"
    /// This connection's setup script wrote its marker in the state database.
    case stateMarker = "state_marker"
    /// The role is a superuser or has CREATEROLE.
    case createRole = "create_role"
    /// The role may connect to every governed database.
    case databaseConnect = "database_connect"
    /// The role has USAGE on every schema of the governed databases.
    case schemaUsage = "schema_usage"
    /// The role owns every table or holds all five privileges on it WITH GRANT OPTION.
    case tablePrivileges = "table_privileges"
    /// The role may ALTER every table: ownership, or membership in the owning role.
    case alterTable = "alter_table"

    func passed(_ message: String) -> CheckResult {
        CheckResult(name: rawValue, status: .passed, message: message)
    }

    func warning(_ message: String) -> CheckResult {
        CheckResult(name: rawValue, status: .warning, message: message)
    }

    func failed(_ message: String, objects: FailingObjects = FailingObjects(), remediation: String? = nil) -> CheckResult {
        CheckResult(
            name: rawValue, status: .failed, message: message, failingObjectCount: objects.count,
            failingObjects: objects.listed, remediationSQL: remediation)
    }

    /// SKIPPED, saying which earlier check made this one meaningless.
    func skipped(because cause: ValidationCheck, _ why: String? = nil) -> CheckResult {
        var message = "skipped because the \(cause.rawValue) check failed"
        if let why { message += ": \(why)" }
        return CheckResult(name: rawValue, status: .skipped, message: message)
    }
}

/// The checks of one validation as they are decided. A run that stops early
/// hands back every check anyway, the undecided ones SKIPPED, so a report
/// always lists all checks in their order.
struct CheckList {
    private var decided: [ValidationCheck: CheckResult] = [:]

    mutating func record(_ check: ValidationCheck, _ result: CheckResult) {
        precondition(result.name == check.rawValue, "result \(result.name) recorded as \(check.rawValue)")
        decided[check] = result
    }

    /// Every check in order; those not decided are SKIPPED because of
    /// `cause`, which must be given when the run stopped early.
    func results(skippingUndecidedBecause cause: ValidationCheck? = nil, _ why: String? = nil) -> [CheckResult] {
        ValidationCheck.allCases.map { check in
            if let result = decided[check] { return result }
            guard let cause else { preconditionFailure("check \(check.rawValue) was never decided") }
            return check.skipped(because: cause, why)
        }
    }
}

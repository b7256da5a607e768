import StewardModel
import StewardPostgres
import StewardStore

/// Proves against the live server that a connection's role holds what
/// governance needs (DESIGN §3): the checks of ``ValidationCheck``, in
/// order, each PASSED, FAILED, WARNING or SKIPPED with a message, the
/// failing objects (all counted, the first 20 listed) and remediation SQL
/// for psql. Catalog reads are set-based, one query per database.
///
/// All libpq work runs on the executor's threads, never on Swift
/// concurrency's cooperative pool, and every PostgreSQL connection is closed
/// before `validate` returns.
public struct ConnectionValidator: Sendable {
    public let executor: PostgresExecutor

    public init(executor: PostgresExecutor) {
        self.executor = executor
    }

    /// Runs every check and returns their results in ``ValidationCheck``
    /// order; failures are results, never thrown.
    ///
    /// - Parameters:
    ///   - key: the connection key, as the state database's marker row names it.
    ///   - password: the role's password; it appears in no result.
    ///   - marker: what this registration's setup script writes
    ///     (``SetupScript/marker(connectionKey:createdAtMilliseconds:)``).
    ///   - deadline: bounds each connection attempt and statement (libpq's
    ///     `connect_timeout` and the session's `statement_timeout`).
    public func validate(
        key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline
    ) async -> [CheckResult] {
        await findings(key: key, settings: settings, password: password, marker: marker, deadline: deadline).checks
    }

    /// ``validate(key:settings:password:marker:deadline:)``'s checks, with
    /// the server's version string when a session was opened.
    public func findings(
        key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline
    ) async -> ValidationFindings {
        await findings(key: key, settings: settings, password: password, marker: marker, governed: .everything, deadline: deadline)
    }

    /// The findings, with failures of relations and schemas beyond
    /// `governed` reported as WARNINGs (``GovernedRelations``).
    func findings(
        key: String, settings: ConnectionSettings, password: String, marker: String, governed: GovernedRelations,
        deadline: Deadline
    ) async -> ValidationFindings {
        let run = ValidationRun(
            request: ValidationRequest(key: key, settings: settings, marker: marker, governed: governed),
            target: ValidationTarget(settings: settings, password: password), deadline: deadline)
        do {
            // Within the server's share of the executor (its bulkhead), so a
            // server that hangs cannot hold up validations of the others.
            return try await executor.run(for: PostgresExecutor.serverKey(host: settings.host, port: settings.port), deadline: deadline) {
                () throws(PostgresError) -> ValidationFindings in run.perform()
            }
        } catch {
            // perform() reports every failure as a check, so nothing should
            // reach here; if something does, it must not read as a pass
            // (all-SKIPPED would count as PASSED).
            var checks = CheckList()
            checks.record(.reachable, ValidationCheck.reachable.failed("the validation could not run: \(error.description)"))
            return ValidationFindings(checks: checks.results(skippingUndecidedBecause: .reachable))
        }
    }
}

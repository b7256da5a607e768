import StewardModel
import StewardPostgres
import StewardStore

/// The enforcer stewardd uses: one run per call, as the connection's role,
/// on the executor's threads (never the cooperative pool), every statement
/// bounded by the call's deadline. See ``EnforcementRun`` for the steps.
public struct LivePolicyEnforcer: PolicyEnforcer {
    /// The `application_name` of every session a run opens, so that a DBA
    /// (and a test) can tell them apart in `pg_stat_activity`.
    public static let applicationName = "steward-enforce"

    let executor: PostgresExecutor

    public init(executor: PostgresExecutor) { self.executor = executor }

    public func enforce(
        _ input: EnforcementInput, record: ConnectionRecord, password: String, dryRun: Bool, deadline: Deadline
    ) async throws(DomainError) -> EnforcementReport {
        let settings = record.settings
        try EnforcementInputRules.check(input, connectionRole: settings.username)
        return try await ValidationTarget(settings: settings, password: password).withParameters(database: settings.stateDatabase) {
            (parameters) async throws(DomainError) -> EnforcementReport in
            var parameters = parameters
            parameters.applicationName = Self.applicationName
            let run = EnforcementRun(input: input, settings: settings, stateParameters: parameters, dryRun: dryRun, deadline: deadline)
            let outcome: Result<EnforcementReport, DomainError>
            do throws(PostgresError) {
                outcome = try await executor.run { () throws(PostgresError) -> Result<EnforcementReport, DomainError> in run.execute() }
            } catch {
                outcome = .failure(DomainError(error.rpcError.code, error.rpcError.message))
            }
            return try outcome.get()
        }
    }
}

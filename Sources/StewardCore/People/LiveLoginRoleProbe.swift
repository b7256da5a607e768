import StewardModel
import StewardPostgres
import StewardStore

/// The probe stewardd uses: one catalog query on the connection's state
/// database, as the connection's role, on the executor's threads.
public struct LiveLoginRoleProbe: LoginRoleProbe {
    let executor: PostgresExecutor

    public init(executor: PostgresExecutor) { self.executor = executor }

    public func loginAbility(
        of roles: [String], settings: ConnectionSettings, password: String, deadline: Deadline
    ) async throws(DomainError) -> [String: Bool] {
        try await ValidationTarget(settings: settings, password: password).withParameters(database: settings.stateDatabase) {
            (parameters) async throws(DomainError) -> [String: Bool] in
            do throws(PostgresError) {
                return try await executor.withConnection(parameters, deadline: deadline, statementDeadline: deadline) {
                    (connection) throws(PostgresError) -> [String: Bool] in
                    try PostgresCatalog.loginAbility(of: roles, on: connection, deadline: deadline)
                }
            } catch {
                // The same statuses as everywhere else a live server fails:
                // a wrong password is a precondition to fix, not "retry later".
                throw DomainError(error.rpcError.code, error.rpcError.message)
            }
        }
    }
}

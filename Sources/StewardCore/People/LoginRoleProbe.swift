import StewardPostgres
import StewardStore

/// Asks a registered connection's live server which roles exist and may log
/// in; behind a protocol so that mapping logic can be tested apart from it.
public protocol LoginRoleProbe: Sendable {
    /// By role name: whether it can log in; absent when there is no such role.
    func loginAbility(
        of roles: [String], settings: ConnectionSettings, password: String, deadline: Deadline
    ) async throws(DomainError) -> [String: Bool]
}

/// The probe stewardd uses: one catalog query on the connection's state
/// database, as the connection's role, on the executor's threads.
public struct LivePostgresRoles: LoginRoleProbe {
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
                throw DomainError(error.kind == .timeout ? .deadlineExceeded : .unavailable, error.description)
            }
        }
    }
}

import StewardPostgres
import StewardStore

/// Finds the databases a registration governs when it names none: those
/// the given credentials may connect to, other than the state database.
public enum DatabaseDiscovery {
    public static func databases(
        settings: ConnectionSettings, parameters: ConnectionParameters, executor: PostgresExecutor, deadline: Deadline
    ) async throws(DomainError) -> [String] {
        // The state database may not exist yet (the setup script creates
        // it); `postgres` is there on every server Steward supports.
        var candidates = [settings.stateDatabase, "postgres"]
        if candidates[0] == candidates[1] { candidates.removeLast() }
        var lastError: PostgresError?
        for database in candidates {
            var attempt = parameters
            attempt.database = database
            do {
                let access = try await executor.withConnection(attempt, deadline: deadline, statementDeadline: deadline) {
                    (connection) throws(PostgresError) -> [(name: String, canConnect: Bool)] in
                    try PostgresCatalog.databaseAccess(of: settings.username, on: connection, deadline: deadline)
                }
                return access.filter { $0.canConnect && $0.name != settings.stateDatabase }.map(\.name)
            } catch {
                lastError = error
                if error.kind != .databaseMissing { break }
            }
        }
        throw DomainError(
            .failedPrecondition,
            "cannot discover the databases to govern (\(lastError?.description ?? "no connection")); name them in governed_databases")
    }
}

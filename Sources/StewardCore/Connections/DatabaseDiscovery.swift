import StewardModel
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
            let found: (version: Int, access: [(name: String, canConnect: Bool)])
            do {
                found = try await executor.withConnection(attempt, deadline: deadline, statementDeadline: deadline) {
                    (connection) throws(PostgresError) -> (Int, [(name: String, canConnect: Bool)]) in
                    // An unsupported server is refused below, not inspected.
                    guard SessionChecks.supportedMajorVersions.contains(connection.serverMajorVersion) else {
                        return (connection.serverVersionNumber, [])
                    }
                    return (connection.serverVersionNumber,
                            try PostgresCatalog.databaseAccess(of: settings.username, on: connection, deadline: deadline))
                }
            } catch {
                lastError = error
                if error.kind != .databaseMissing { break }
                continue
            }
            try checkVersion(found.version, settings: settings)
            return found.access.filter { $0.canConnect && $0.name != settings.stateDatabase }.map(\.name)
        }
        throw DomainError(
            .failedPrecondition,
            "cannot discover the databases to govern (\(lastError?.description ?? "no connection")); name them in governed_databases")
    }

    /// A registration that reaches the server refuses one Steward does not
    /// support now, rather than at its first validation.
    static func checkVersion(_ number: Int, settings: ConnectionSettings) throws(DomainError) {
        guard !SessionChecks.supportedMajorVersions.contains(number / 10_000) else { return }
        throw .failedPrecondition(
            "the server at \(ValidationTarget.address(of: settings)) runs PostgreSQL \(SessionChecks.versionText(number)), "
                + "which Steward does not support; Steward supports 16 and 17")
    }

    /// Discovered governed databases must pass the rules a named one does
    /// (names legal in PostgreSQL may hold a line break). A bad one fails the
    /// registration, naming it, rather than being dropped silently: the
    /// caller can name the databases to govern instead.
    static func checkDiscovered(_ settings: ConnectionSettings) throws(DomainError) {
        for database in settings.governedDatabases {
            do { try ConnectionInputRules.checkIdentifier(database, field: "governed_databases") } catch {
                throw .failedPrecondition(
                    "discovered database \(PsqlScript.shown(database)) cannot be governed: its name contains a control character (such as a line break); name governed_databases explicitly")
            }
        }
    }
}

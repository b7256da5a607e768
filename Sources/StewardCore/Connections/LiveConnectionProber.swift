import StewardModel
import StewardPostgres
import StewardStore

/// The connections service's view of real PostgreSQL: validation by
/// ``ConnectionValidator``, discovery by ``DatabaseDiscovery``, both on the
/// executor's threads.
public struct LiveConnectionProber: ConnectionProber {
    let executor: PostgresExecutor
    let validator: ConnectionValidator

    public init(executor: PostgresExecutor) {
        self.executor = executor
        self.validator = ConnectionValidator(executor: executor)
    }

    public func validate(
        key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline
    ) async -> [CheckResult] {
        await validator.validate(key: key, settings: settings, password: password, marker: marker, deadline: deadline)
    }

    public func findings(
        key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline
    ) async -> ValidationFindings {
        await validator.findings(key: key, settings: settings, password: password, marker: marker, deadline: deadline)
    }

    public func findings(
        key: String, settings: ConnectionSettings, password: String, marker: String, governed: GovernedRelations,
        deadline: Deadline
    ) async -> ValidationFindings {
        await validator.findings(key: key, settings: settings, password: password, marker: marker, governed: governed, deadline: deadline)
    }

    public func discoverDatabases(settings: ConnectionSettings, password: String, deadline: Deadline) async throws(DomainError) -> [String] {
        try await ValidationTarget(settings: settings, password: password).withParameters(database: settings.stateDatabase) {
            (parameters) async throws(DomainError) -> [String] in
            try await DatabaseDiscovery.databases(settings: settings, parameters: parameters, executor: executor, deadline: deadline)
        }
    }
}

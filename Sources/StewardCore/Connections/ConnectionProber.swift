import StewardModel
import StewardPostgres
import StewardStore

/// What the connections service asks of the live database, behind a
/// protocol so that the service's own logic can be tested apart from it.
public protocol ConnectionProber: Sendable {
    /// Runs the named checks of docs/connections.md, in order.
    func validate(
        key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline
    ) async -> [CheckResult]

    /// The checks and the server's version string. A prober that knows
    /// no version answers with ``validate(key:settings:password:marker:deadline:)``'s checks alone.
    func findings(
        key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline
    ) async -> ValidationFindings

    /// The findings, judging failures of relations and schemas beyond
    /// `governed` as WARNINGs. A prober that cannot tell answers with
    /// ``findings(key:settings:password:marker:deadline:)``.
    func findings(
        key: String, settings: ConnectionSettings, password: String, marker: String, governed: GovernedRelations,
        deadline: Deadline
    ) async -> ValidationFindings

    /// The databases the credentials may connect to, other than the state
    /// database and templates, for a registration that names none.
    func discoverDatabases(settings: ConnectionSettings, password: String, deadline: Deadline) async throws(DomainError) -> [String]
}

extension ConnectionProber {
    public func findings(
        key: String, settings: ConnectionSettings, password: String, marker: String, deadline: Deadline
    ) async -> ValidationFindings {
        ValidationFindings(checks: await validate(key: key, settings: settings, password: password, marker: marker, deadline: deadline))
    }

    public func findings(
        key: String, settings: ConnectionSettings, password: String, marker: String, governed: GovernedRelations,
        deadline: Deadline
    ) async -> ValidationFindings {
        await findings(key: key, settings: settings, password: password, marker: marker, deadline: deadline)
    }
}

import StewardModel
import StewardStore

/// What one enforcement of one connection came to: the PostgreSQL side's
/// report, and what the registry side could not turn into grants.
public struct EnforcementOutcome: Sendable {
    public var report: EnforcementReport
    public var unresolved: [UnresolvedSubscriber]
    public var unknownOSGroups: [UnknownOSGroup]

    /// Statements planned across the connection's databases.
    public var statementCount: Int { report.databases.reduce(0) { $0 + $1.statements.count } }

    /// The policies that caused the statements, sorted (for the audit trail).
    public var causingPolicies: [String] {
        Set(report.databases.flatMap { $0.statements.flatMap(\.policies) }).sorted()
    }

    /// The audit message of a run: what it did, and the policies that caused it.
    public var auditSummary: String {
        let applied = report.databases.filter(\.applied).count
        let failed = report.databases.filter { $0.failure != nil }.count
        var text = report.dryRun
            ? "dry run: \(statementCount) statements planned"
            : "\(statementCount) statements; \(applied) databases applied, \(failed) failed"
        if !causingPolicies.isEmpty { text += "; policies: " + causingPolicies.joined(separator: ", ") }
        if !report.drift.isEmpty { text += "; \(report.drift.count) drift findings" }
        return text
    }
}

/// One enforcement of one connection: the desired state read now, handed
/// to the PostgreSQL side with the connection's stored password.
struct ConnectionEnforcement: Sendable {
    let store: any RegistryStore
    let reader: DesiredStateReader
    let enforcer: any PolicyEnforcer

    /// Enforces the policies (`revokeEverything`: an empty desired state,
    /// taking back every grant Steward made on the connection).
    func run(_ record: ConnectionRecord, revokeEverything: Bool, dryRun: Bool, deadline: Deadline) async throws(DomainError)
        -> EnforcementOutcome
    {
        let desired: DesiredState
        if revokeEverything {
            let sources = try reader.sources(for: record)
            desired = DesiredState.revokingEverything(connectionKey: record.key, dataSources: sources.dataSources)
        } else {
            desired = try reader.desiredState(for: record)
        }
        let password = try storeCall { () throws(StoreError) in try store.connectionPassword(key: record.key, for: record.settings) }
        let report = try await enforcer.enforce(
            desired.input, record: record, password: password.exposedValue, dryRun: dryRun, deadline: deadline)
        return EnforcementOutcome(report: report, unresolved: desired.unresolved, unknownOSGroups: desired.unknownOSGroups)
    }
}

import Synchronization
import StewardCore
import StewardModel
import StewardStore

/// A test double of the PostgreSQL side, used ONLY to check what input the
/// registry side builds and when it triggers enforcement. Real grants and
/// real logins are the PostgreSQL side's tests. It records every call and
/// answers one GRANT per desired entry (no SQL is run anywhere); it notes
/// the most runs of one connection it ever saw at once.
public final class RecordingEnforcer: PolicyEnforcer {
    public struct Call: Sendable {
        public var input: EnforcementInput
        public var connectionKey: String
        public var password: String
        public var dryRun: Bool
    }

    private struct State {
        var calls: [Call] = []
        var inFlight: [String: Int] = [:]
        var mostAtOnce = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var calls: [Call] { state.withLock { $0.calls } }
    public var mostConcurrentRunsOfOneConnection: Int { state.withLock { $0.mostAtOnce } }

    public func enforce(
        _ input: EnforcementInput, record: ConnectionRecord, password: String, dryRun: Bool, deadline: Deadline
    ) async throws(DomainError) -> EnforcementReport {
        state.withLock {
            $0.calls.append(Call(input: input, connectionKey: record.key, password: password, dryRun: dryRun))
            $0.inFlight[record.key, default: 0] += 1
            $0.mostAtOnce = max($0.mostAtOnce, $0.inFlight[record.key]!)
        }
        // Give any other run of the connection the chance to start meanwhile.
        for _ in 0..<20 { await Task.yield() }
        state.withLock { $0.inFlight[record.key]! -= 1 }
        let statements = input.desired.map {
            PlannedStatement(
                database: $0.relation.database, sql: "GRANT SELECT ON \($0.relation.name) TO \($0.role)", purpose: .grant,
                policies: $0.policies)
        }
        let databases = Dictionary(grouping: statements, by: \.database).sorted { $0.key < $1.key }.map {
            EnforcementReport.DatabaseOutcome(database: $0.key, statements: $0.value, applied: !dryRun, failure: nil)
        }
        return EnforcementReport(connectionKey: input.connectionKey, dryRun: dryRun, databases: databases, drift: [], missingRoles: [])
    }
}

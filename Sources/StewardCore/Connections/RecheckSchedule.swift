import StewardModel
import StewardPostgres
import StewardStore
import StewardWire

/// Keeps the proof fresh: every `interval`, each ACTIVE or UNHEALTHY
/// connection is validated again, one at a time, as the daemon. A failing
/// recheck makes a connection UNHEALTHY (with its report), a passing one
/// makes it ACTIVE again.
public struct RecheckSchedule: Sendable {
    /// What one recheck of one connection came to.
    public struct Result: Sendable {
        public var key: String
        public var before: LifecycleState
        /// The state after the recheck, or why it could not be made.
        public var after: Swift.Result<LifecycleState, DomainError>
    }

    let store: any RegistryStore
    let service: ConnectionsService
    let interval: Duration
    /// The uid rechecks are recorded under: the daemon's own.
    let actor: UInt32
    /// How long one connection's recheck may take.
    let timeoutMilliseconds: Int
    let report: @Sendable (Result) -> Void
    let reportListFailure: @Sendable (StoreError) -> Void

    public init(
        store: any RegistryStore, service: ConnectionsService, interval: Duration, actor: UInt32,
        timeoutMilliseconds: Int = 30_000, report: @escaping @Sendable (Result) -> Void = { _ in },
        reportListFailure: @escaping @Sendable (StoreError) -> Void = { _ in }
    ) {
        self.store = store
        self.service = service
        self.interval = interval
        self.actor = actor
        self.timeoutMilliseconds = timeoutMilliseconds
        self.report = report
        self.reportListFailure = reportListFailure
    }

    /// Rounds until the task running it is cancelled: the first after a
    /// random part of `interval` (so a daemon restarted more often than the
    /// interval still rechecks, and daemons started together spread out),
    /// then every `interval`, give or take a tenth.
    public func run() async {
        var wait = interval * Double.random(in: 0.1...1.0)
        while !Task.isCancelled {
            do { try await Task.sleep(for: wait) } catch { return }
            _ = await runOnce()
            wait = interval * Double.random(in: 0.9...1.1)
        }
    }

    /// One round over every ACTIVE or UNHEALTHY connection.
    @discardableResult
    public func runOnce() async -> [Result] {
        var results: [Result] = []
        for record in dueConnections() {
            guard !Task.isCancelled else { break }
            let after: Swift.Result<LifecycleState, DomainError>
            do throws(DomainError) {
                let (updated, _) = try await service.recheck(
                    key: record.key, actor: actor, deadline: .after(milliseconds: timeoutMilliseconds))
                after = .success(updated.state)
            } catch {
                after = .failure(error)
            }
            let result = Result(key: record.key, before: record.state, after: after)
            report(result)
            results.append(result)
        }
        return results
    }

    /// The states a connection is rechecked in.
    static let dueStates = LifecycleState.governed

    private func dueConnections() -> [ConnectionRecord] {
        // A store that cannot answer now is asked again next round; the
        // connections read before it failed are rechecked in this one.
        store.connections(in: Self.dueStates, ifStoreFails: reportListFailure)
    }
}

import Foundation
import StewardModel
import StewardPostgres
import StewardStore
import StewardWire

/// Keeps the proof fresh: every `interval`, each ACTIVE or UNHEALTHY
/// connection is validated again, one at a time, as the daemon. A failing
/// recheck makes a connection UNHEALTHY (with its report), a passing one
/// makes it ACTIVE again.
///
/// With a shared registry (``ConnectionLeases``) the daemons divide the
/// connections: each is rechecked only by the daemon holding its recheck
/// lease, under its work lease, and only once its newest report is an
/// interval old; rounds come every quarter interval, so a connection whose
/// daemon died is taken over by another within a quarter interval and
/// rechecked when it is due, as it would have been. An embedded store has
/// no leases, and its rounds are as they always were.
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
    /// then every `interval` (a quarter of it with a shared registry), give
    /// or take a tenth.
    public func run() async {
        let round = store.leases == nil ? interval : interval / Self.sharedRoundsPerInterval
        var wait = round * Double.random(in: 0.1...1.0)
        while !Task.isCancelled {
            do { try await Task.sleep(for: wait) } catch { return }
            _ = await runOnce()
            wait = round * Double.random(in: 0.9...1.1)
        }
    }

    /// Rounds per interval with a shared registry.
    static let sharedRoundsPerInterval = 4.0

    /// One round over every ACTIVE or UNHEALTHY connection, on the blocking
    /// executor whichever task runs it: its store and lease calls block
    /// (the daemon's round task is an ordinary one, and two rounds blocked
    /// on the cooperative pool would stop the daemon).
    @discardableResult
    public func runOnce() async -> [Result] {
        await withTaskExecutorPreference(BlockingExecutor.shared) { await recheckDue() }
    }

    private func recheckDue() async -> [Result] {
        var results: [Result] = []
        let connections = dueConnections()
        let leases = store.leases
        defer { leases?.releaseRechecks(except: Set(connections.map(\.key))) }
        for record in connections {
            guard !Task.isCancelled else { break }
            let after: Swift.Result<LifecycleState, DomainError>
            if let leases {
                guard leases.holdsRechecks(of: record.key), isDue(record.key) else { continue }
                // Another daemon's sync of it is under way: next round.
                guard let lease = try? await leases.takeWork(on: record.key, until: .after(milliseconds: 0)) else { continue }
                after = await LeaseFence.$current.withValue(lease.fence) { await recheck(record) }
                leases.release(lease)
            } else {
                after = await recheck(record)
            }
            let result = Result(key: record.key, before: record.state, after: after)
            report(result)
            results.append(result)
        }
        return results
    }

    private func recheck(_ record: ConnectionRecord) async -> Swift.Result<LifecycleState, DomainError> {
        do throws(DomainError) {
            let (updated, _) = try await service.recheck(
                key: record.key, actor: actor, deadline: .after(milliseconds: timeoutMilliseconds))
            return .success(updated.state)
        } catch {
            return .failure(error)
        }
    }

    /// Shared registry: whether the connection's newest report is old
    /// enough for a recheck (within half a round of an interval, so that
    /// rechecks come an interval apart on average). A store that cannot
    /// say is asked again next round.
    private func isDue(_ key: String) -> Bool {
        let latest: ValidationReport?
        do { latest = try store.latestValidationReport(connectionKey: key) } catch { return false }
        guard let at = latest?.at else { return true }
        let round = interval / Self.sharedRoundsPerInterval
        let age = Duration.milliseconds(Int64(Date().timeIntervalSince(at) * 1000))
        return age >= interval - round / 2
    }

    /// The states a connection is rechecked in.
    static let dueStates = LifecycleState.governed

    private func dueConnections() -> [ConnectionRecord] {
        // A store that cannot answer now is asked again next round; the
        // connections read before it failed are rechecked in this one.
        store.connections(in: Self.dueStates, ifStoreFails: reportListFailure)
    }
}

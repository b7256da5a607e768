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

    public init(
        store: any RegistryStore, service: ConnectionsService, interval: Duration, actor: UInt32,
        timeoutMilliseconds: Int = 30_000, report: @escaping @Sendable (Result) -> Void = { _ in }
    ) {
        self.store = store
        self.service = service
        self.interval = interval
        self.actor = actor
        self.timeoutMilliseconds = timeoutMilliseconds
        self.report = report
    }

    /// Rounds every `interval` until the task running it is cancelled.
    public func run() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            _ = await runOnce()
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

    private func dueConnections() -> [ConnectionRecord] {
        var due: [ConnectionRecord] = []
        var page = PageRequest(size: PageRequest.maximumSize)
        repeat {
            let chosen = page
            // A store that cannot answer now is asked again next round.
            guard let batch = try? store.listConnections(state: nil, page: chosen) else { break }
            due += batch.items.filter { $0.state == .active || $0.state == .unhealthy }
            page.token = batch.nextPageToken
        } while page.token != nil
        return due
    }
}

import StewardModel
import StewardStore

/// Runs a sync or a recheck of one connection under its work lease, in a
/// shared registry (``ConnectionLeases``): no other daemon works on the
/// connection meanwhile, and the work's writes store only while the lease
/// is held (``LeaseFence``).
enum ConnectionWorkLease {
    /// How long a sync waits for another daemon's recheck or sync of the
    /// same connection before it is refused: a recheck takes a moment, a
    /// sync may take minutes, and a caller is better told than held.
    static let syncWaitMilliseconds = 5_000

    /// ABORTED when another holder keeps the lease past the wait.
    static func holding<T: Sendable>(
        _ key: String, leases: any ConnectionLeases, deadline: Deadline,
        _ body: () async throws(DomainError) -> T
    ) async throws(DomainError) -> T {
        let wait = min(deadline, .after(milliseconds: syncWaitMilliseconds))
        let lease: WorkLease?
        do { lease = try await leases.takeWork(on: key, until: wait) } catch { throw DomainError(error) }
        guard let lease else {
            throw DomainError(
                .aborted,
                "connection \"\(key)\" is being synced or rechecked by another daemon sharing the registry; nothing was done: try again")
        }
        defer { leases.release(lease) }
        let outcome: Result<T, DomainError> = await LeaseFence.$current.withValue(lease.fence) {
            do throws(DomainError) { return .success(try await body()) } catch { return .failure(error) }
        }
        return try outcome.get()
    }
}

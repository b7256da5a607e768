import Synchronization

/// Lets one validation of a connection run at a time, in the order they
/// asked. Two at once would test the same settings twice, and each would
/// store a report and move the state with the other's revision in between.
///
/// Process-wide, so that a caller's Validate and the daemon's recheck of
/// the same connection (served by different ``ConnectionsService`` values)
/// also take turns. Keyed by connection key alone: services over other
/// stores in one process (tests) only wait for each other, never mix results.
/// Daemons sharing a registry are not serialised by it; storing tolerates a
/// revision moved by another validation (``ConnectionsService``).
final class ValidationQueue: Sendable {
    static let processWide = ValidationQueue()

    private struct Turns {
        /// Keys whose validation is running, with those waiting for it, first in first.
        var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let turns = Mutex(Turns())

    /// Runs `body` once no other validation of `key` runs.
    func run<T>(key: String, _ body: () async throws(DomainError) -> T) async throws(DomainError) -> T {
        await waitForTurn(key)
        defer { endTurn(key) }
        return try await body()
    }

    private func waitForTurn(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let runsNow = turns.withLock { turns in
                if turns.waiting[key] == nil {
                    turns.waiting[key] = []
                    return true
                }
                turns.waiting[key]!.append(continuation)
                return false
            }
            if runsNow { continuation.resume() }
        }
    }

    private func endTurn(_ key: String) {
        let next = turns.withLock { turns -> CheckedContinuation<Void, Never>? in
            guard var queue = turns.waiting[key], !queue.isEmpty else {
                turns.waiting[key] = nil
                return nil
            }
            let next = queue.removeFirst()
            turns.waiting[key] = queue
            return next
        }
        // The turn passes straight to the next waiter: the key stays busy.
        next?.resume()
    }

    /// Validations of `key` running or waiting, for tests.
    func pending(_ key: String) -> Int {
        turns.withLock { turns in turns.waiting[key].map { $0.count + 1 } ?? 0 }
    }
}

import StewardStore
import Synchronization

/// Lets one validation of a connection run at a time, in the order they
/// asked. Two at once would test the same settings twice, and each would
/// store a report and move the state with the other's revision in between.
///
/// Process-wide, so that a caller's Validate and the daemon's recheck of
/// the same connection (served by different ``ConnectionsService`` values
/// over one store) also take turns. Keyed by the store object and the
/// connection key: connections of the same name in other stores (tests run
/// many at once) do not wait for each other. Daemons sharing a registry
/// are not serialised by it; storing tolerates a revision moved by another
/// validation (``ConnectionsService``).
final class ValidationQueue: Sendable {
    static let processWide = ValidationQueue()

    struct Key: Hashable {
        let store: ObjectIdentifier
        let connection: String

        init(store: any RegistryStore, connection: String) {
            // Both stores are classes: one object per open registry.
            self.store = ObjectIdentifier(store as AnyObject)
            self.connection = connection
        }
    }

    private struct Turns {
        /// Keys whose validation is running, with those waiting for it, first in first.
        var waiting: [Key: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let turns = Mutex(Turns())

    /// Runs `body` once no other validation of `key` runs.
    func run<T>(key: Key, _ body: () async throws(DomainError) -> T) async throws(DomainError) -> T {
        await waitForTurn(key)
        defer { endTurn(key) }
        return try await body()
    }

    private func waitForTurn(_ key: Key) async {
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

    private func endTurn(_ key: Key) {
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
    func pending(_ key: Key) -> Int {
        turns.withLock { turns in turns.waiting[key].map { $0.count + 1 } ?? 0 }
    }
}

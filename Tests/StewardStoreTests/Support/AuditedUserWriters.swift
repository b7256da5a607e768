import Dispatch
import Foundation
import StewardStore
import Synchronization

/// Writers on threads of their own, each creating a user under a call audit
/// event of its own, as a daemon's calls do: the group-commit tests of both
/// backends start them while the writes are held up, then read each one's
/// outcome (whether its event was committed with its change, or its error).
final class AuditedUserWriters: Sendable {
    private let outcomes = Mutex<[Int: Result<Bool, StoreError>]>([:])
    private let running = DispatchGroup()
    /// The method the writers' audit events name.
    let method: String

    init(method: String) { self.method = method }

    func start(_ index: Int, name: String, uid: UInt32, on store: some RegistryStore) {
        running.enter()
        Thread { [method] in
            let event = CallAuditEvent { message in
                NewAuditEvent(at: Date(), uid: 0, method: method, target: name, status: .ok, message: message)
            }
            let outcome: Result<Bool, StoreError>
            do {
                try store.recording(event) { _ = try store.createUser(name: name, uid: uid, permissions: [.applicationAdmin]) }
                outcome = .success(event.isCommitted)
            } catch {
                outcome = .failure(error as? StoreError ?? StoreError(.io, "\(error)"))
            }
            self.outcomes.withLock { $0[index] = outcome }
            self.running.leave()
        }.start()
    }

    /// Every writer's outcome, once all have finished.
    func waitForAll() -> [Int: Result<Bool, StoreError>] {
        running.wait()
        return outcomes.withLock { $0 }
    }
}

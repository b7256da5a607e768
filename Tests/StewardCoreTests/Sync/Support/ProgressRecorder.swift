import Foundation
import StewardCore
import StewardPostgres
import StewardStore
import StewardWire
import Synchronization

/// Progress events, as text: `scanned <database> <tables>` or
/// `failed <database> <CODE> <message>`; optionally throws from the event
/// numbered `throwAt` (1-based), as the route does when the call ends.
final class ProgressRecorder: Sendable {
    private let events = Mutex<[String]>([])
    let throwAt: Int?
    let error: DomainError

    init(throwAt: Int? = nil, error: DomainError = DomainError(.cancelled, "the sync's call ended")) {
        self.throwAt = throwAt
        self.error = error
    }

    var recorded: [String] { events.withLock { $0 } }

    var closure: @Sendable (SyncService.Event) async throws(DomainError) -> Void {
        { [self] (event) async throws(DomainError) in
            let count = events.withLock { events in
                switch event {
                case .scanned(let database, let tables, let refused):
                    events.append("scanned \(database) \(tables)" + (refused.isEmpty ? "" : " refused \(refused.joined(separator: ", "))"))
                case .failed(let database, let error): events.append("failed \(database) \(error.code.name) \(error.message)")
                }
                return events.count
            }
            if count == throwAt { throw error }
        }
    }
}

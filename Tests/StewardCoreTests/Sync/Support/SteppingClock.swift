import Foundation
import Synchronization

/// A clock that moves one second on each reading, so that any write the
/// store makes shows in an `updatedAt`.
final class SteppingClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_750_000_000))

    func read() -> Date {
        current.withLock { date in
            date += 1
            return date
        }
    }
}

import Foundation
import Synchronization

/// A clock for stores under test: starts at a fixed time and moves one
/// millisecond per reading, so every write has its own distinct time.
final class TestClock: Sendable {
    static let start = Date(timeIntervalSince1970: 1_750_000_000)
    private let current = Mutex(TestClock.start)

    func now() -> Date {
        current.withLock { date in
            date += 0.001
            return date
        }
    }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }

    var reading: @Sendable () -> Date { { [self] in self.now() } }
}

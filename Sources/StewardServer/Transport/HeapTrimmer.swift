import Dispatch
import Glibc
import Synchronization

/// Gives memory freed after a burst back to the system.
///
/// A burst (hundreds of clients, or a flood of hostile frames, each closing
/// its connection) leaves the freed buffers in glibc's heap and arenas, and
/// glibc returns little of it by itself: the daemon's RSS stayed at ten
/// times its idle figure (issue 13, item 7). Once ``threshold`` connections
/// have closed since the last trim, a `malloc_trim(0)` runs a moment later
/// on a utility queue, and again each moment while connections go on
/// closing: a burst costs one trim a second and one after its end, not one
/// per connection, and a steady trickle costs one trim per ``threshold``.
final class HeapTrimmer: Sendable {
    private struct State {
        var closedSinceTrim = 0
        var isScheduled = false
    }
    private let state = Mutex(State())
    private let threshold: Int
    private let delay: DispatchTimeInterval

    init(threshold: Int = 128, delay: DispatchTimeInterval = .seconds(1)) {
        self.threshold = threshold
        self.delay = delay
    }

    /// Notes a closed connection; schedules a trim once enough have closed.
    func connectionClosed() {
        let schedule = state.withLock { state -> Bool in
            state.closedSinceTrim += 1
            guard state.closedSinceTrim >= threshold, !state.isScheduled else { return false }
            state.isScheduled = true
            return true
        }
        if schedule { scheduleTrim() }
    }

    /// Trims after `delay`; while connections keep closing meanwhile, once
    /// more after each `delay`, so the tail of a burst is trimmed too; and
    /// once more ``lateDelay`` after the burst, when the dispatch worker
    /// threads it woke have retired and freed what they cached.
    private func scheduleTrim(after wait: DispatchTimeInterval? = nil, isLate: Bool = false) {
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + (wait ?? delay)) { [self] in
            state.withLock { $0.closedSinceTrim = 0 }
            GlibcMalloc.trim()
            let again = state.withLock { state -> Bool in
                state.isScheduled = state.closedSinceTrim > 0 || !isLate
                return state.closedSinceTrim > 0
            }
            if again {
                scheduleTrim()
            } else if !isLate {
                scheduleTrim(after: Self.lateDelay, isLate: true)
            }
        }
    }

    static let lateDelay = DispatchTimeInterval.seconds(15)
}

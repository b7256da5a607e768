import Foundation
import Synchronization

/// Watches something the daemon depends on (the shared registry) by asking
/// `probe` every `interval`, on a thread of its own so that a dependency
/// that has stopped answering holds no thread that serves anything else,
/// and reports each change of its answer (`report`), starting from
/// "answering". The probe bounds
/// itself (its own deadline).
final class DependencyWatch: Sendable {
    private let interval: Duration
    private let probe: @Sendable () -> Bool
    private let report: @Sendable (Bool) -> Void
    private let stopped = Atomic<Bool>(false)
    /// Signalled by `stop()` to cut the wait between probes short.
    private let wake = DispatchSemaphore(value: 0)

    init(interval: Duration, probe: @escaping @Sendable () -> Bool, report: @escaping @Sendable (Bool) -> Void) {
        self.interval = interval
        self.probe = probe
        self.report = report
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "steward.dependency-watch"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// Stops probing; a probe under way finishes (within its own deadline).
    func stop() {
        stopped.store(true, ordering: .relaxed)
        wake.signal()
    }

    private func run() {
        // The dependency answered when the daemon opened it.
        var last = true
        let (seconds, attoseconds) = interval.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        while !stopped.load(ordering: .relaxed) {
            let answers = probe()
            if answers != last, !stopped.load(ordering: .relaxed) {
                report(answers)
                last = answers
            }
            _ = wake.wait(timeout: .now() + .nanoseconds(nanoseconds))
        }
    }
}

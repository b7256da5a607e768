import Foundation

/// The threads ``PostgresExecutor``'s jobs run on, kept for reuse.
///
/// A job starts at once on a thread of its own, as when a thread was made
/// for each job: on an idle thread when there is one, else on a new one.
/// So no job ever waits here for a thread (a job waiting for its bulkhead
/// slots does that on its own thread, up to its deadline), and there are as
/// many threads as jobs running or waiting for slots, plus idle ones. A
/// thread idle for `idleSeconds` ends, and one finding `maxIdle` others
/// idle already ends at once: a burst of jobs that waited for a hung
/// server's share leaves no crowd of threads behind.
///
/// Why: a thread made and ended per job cost 0.07 to 0.28 ms a job, one
/// at a time, against 0.016 to 0.065 ms for a job handed to a waiting
/// thread (`steward-bench executor`, release build, loaded machine). Either
/// is small beside the cheapest real job (a connect, 6 to 9 ms), but a
/// thread per job also maps and unmaps a stack each time, for nothing.
final class ReusableThreads: @unchecked Sendable {
    // `@unchecked Sendable`: `jobs` and `idle` are guarded by `condition`.
    private let condition = NSCondition()
    /// Jobs handed over and not yet taken, first in first out; never more
    /// than the idle threads that will take them, plus one per new thread.
    private var jobs: [@Sendable () -> Void] = []
    /// Threads waiting for a job, or woken and not yet back under the lock.
    private var idle = 0
    private let maxIdle: Int
    private let idleSeconds: TimeInterval
    private let stackSize: Int

    init(maxIdle: Int, idleSeconds: TimeInterval = 30, stackSize: Int = 512 * 1024) {
        self.maxIdle = maxIdle
        self.idleSeconds = idleSeconds
        self.stackSize = stackSize
    }

    /// Runs `job` on a thread of its own: an idle one, or a new one.
    func start(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        // Each queued job is matched with an idle thread, each of which
        // takes a job whenever it wakes (signalled or timed out) and finds one.
        let handedOver = jobs.count <= idle
        if handedOver { condition.signal() }
        condition.unlock()
        guard !handedOver else { return }
        let thread = Thread { [self] in serve() }
        thread.stackSize = stackSize
        thread.start()
    }

    private func serve() {
        condition.lock()
        while true {
            if !jobs.isEmpty {
                let job = jobs.removeFirst()
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            guard idle < maxIdle else { break }
            idle += 1
            let signalled = condition.wait(until: Date(timeIntervalSinceNow: idleSeconds))
            idle -= 1
            // A thread whose wait ran out as a job was handed to it takes the job.
            if !signalled && jobs.isEmpty { break }
        }
        condition.unlock()
    }
}

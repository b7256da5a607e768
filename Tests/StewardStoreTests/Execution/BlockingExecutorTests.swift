import Dispatch
import StewardStore
import Synchronization
import Testing

/// The blocking pool's two promises: no more jobs compute at once than its
/// limit, and a job that says it is waiting (`blocking`) leaves its turn to
/// the next one. Each test has its own executor, so the daemon-wide pool's
/// other users (every other suite in this process) cannot disturb it.
@Suite("Blocking executor: turns to compute, and waits that give them up", .timeLimit(.minutes(1)))
struct BlockingExecutorTests {
    /// With one turn to compute, a job waiting inside `blocking` must let a
    /// second job run. If the wait held the turn, the second job could only
    /// run after the first, which waits for it: the first gives up at its
    /// bound and reports that the second never ran.
    @Test("A job waiting inside blocking lets the next job run")
    func blockingGivesUpTheTurn() {
        let executor = BlockingExecutor(threads: 4, activeLimit: 1)
        let firstWaiting = DispatchSemaphore(value: 0)
        let secondRan = DispatchSemaphore(value: 0)
        let firstDone = DispatchSemaphore(value: 0)
        let sawSecond = Verdict()
        Task(executorPreference: executor) {
            let saw = BlockingExecutor.blocking {
                firstWaiting.signal()
                return secondRan.wait(timeout: .now() + 20) == .success
            }
            sawSecond.value.withLock { $0 = saw }
            firstDone.signal()
        }
        #expect(firstWaiting.wait(timeout: .now() + 20) == .success, "the first job never started")
        Task(executorPreference: executor) { secondRan.signal() }
        #expect(firstDone.wait(timeout: .now() + 30) == .success, "the first job never ended")
        #expect(sawSecond.value.withLock { $0 } == true, "the second job ran only after the first gave up waiting")
    }

    /// Six jobs that compute (they wait without saying so) on a pool of
    /// eight threads with two turns: two run, the others queue; as each one
    /// is let go, the next starts. At no moment are three inside.
    @Test("No more jobs compute at once than the limit, and queued ones run as turns free up")
    func computingIsBounded() {
        let executor = BlockingExecutor(threads: 8, activeLimit: 2)
        let inside = Occupancy()
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let jobs = 6
        let group = DispatchGroup()
        for _ in 0..<jobs {
            group.enter()
            Task(executorPreference: executor) {
                inside.counts.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                entered.signal()
                // Computing, as far as the pool knows: no `blocking`.
                _ = release.wait(timeout: .now() + 20)
                inside.counts.withLock { $0.now -= 1; $0.finished += 1 }
                group.leave()
            }
        }
        // Two start; each release lets exactly one more in.
        for _ in 0..<2 { #expect(entered.wait(timeout: .now() + 20) == .success, "the first two jobs never started") }
        for _ in 2..<jobs {
            release.signal()
            #expect(entered.wait(timeout: .now() + 20) == .success, "a queued job never started")
        }
        for _ in 0..<2 { release.signal() }
        #expect(group.wait(timeout: .now() + 20) == .success, "not every job finished")
        let counts = inside.counts.withLock { $0 }
        #expect(counts.most == 2, "at most two jobs may compute at once; \(counts.most) did")
        #expect(counts.finished == jobs)
    }

    /// Outside the pool `blocking` is just a call.
    @Test("blocking on a thread of no pool runs the body")
    func blockingElsewhereRuns() {
        #expect(BlockingExecutor.blocking { 42 } == 42)
    }
}

/// How many jobs are inside at once, the most seen, and how many finished.
private final class Occupancy: Sendable {
    let counts = Mutex((now: 0, most: 0, finished: 0))
}

private final class Verdict: Sendable {
    let value = Mutex<Bool?>(nil)
}

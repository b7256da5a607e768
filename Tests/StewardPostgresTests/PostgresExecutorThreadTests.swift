import Foundation
import Glibc
import StewardPostgres
import Synchronization
import Testing

/// The executor's threads: kept for later jobs, and never fewer than the
/// jobs that want one (the bulkheads' waits happen on a job's own thread,
/// so a job must never wait for a thread). The bulkheads themselves are
/// BulkheadTests' (real servers, one frozen).
@Suite("PostgreSQL executor threads: reused, one per job in flight", .timeLimit(.minutes(2)))
struct PostgresExecutorThreadTests {
    @Test("Two hundred jobs one after another run on a handful of threads, not a thread each")
    func threadsAreReused() async throws {
        let executor = PostgresExecutor()
        var threads: Set<String> = []
        for _ in 0..<200 {
            threads.insert(try await executor.run { () throws(PostgresError) in kernelThreadID() })
        }
        // A job's caller is resumed before its thread is back waiting, so the
        // next job may find no idle thread and start one; a few at most.
        #expect(threads.count < 20, "\(threads.count) threads for 200 jobs")
    }

    @Test("Forty jobs that each wait for all the others all run at once, on forty threads")
    func everyJobHasAThread() async throws {
        let jobs = 40
        let executor = PostgresExecutor(maxConcurrentJobs: jobs, maxJobsPerServer: jobs)
        let arrived = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        let tasks = (0..<jobs).map { _ in
            Task {
                try await executor.run(for: "one-server") { () throws(PostgresError) -> String in
                    arrived.signal()
                    gate.wait()
                    return kernelThreadID()
                }
            }
        }
        // On a thread of its own: waits until every job is under way (each
        // on its own thread), then lets them all finish.
        let allArrived = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            Thread {
                var count = 0
                while count < jobs, arrived.wait(timeout: .now() + .seconds(30)) == .success { count += 1 }
                for _ in 0..<jobs { gate.signal() }
                continuation.resume(returning: count == jobs)
            }.start()
        }
        #expect(allArrived, "some jobs waited for a thread while the others ran")
        var threads: Set<String> = []
        for task in tasks { threads.insert(try await task.value) }
        #expect(threads.count == jobs)
    }
}

/// The calling thread's kernel id (`/proc/thread-self` links to
/// `<pid>/task/<tid>`): unlike a `pthread_t`, not reused by the next
/// thread once a thread ends.
func kernelThreadID() -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    let length = readlink("/proc/thread-self", &buffer, buffer.count - 1)
    precondition(length > 0, "/proc/thread-self is unreadable: \(String(cString: strerror(errno)))")
    return String(cString: buffer)
}

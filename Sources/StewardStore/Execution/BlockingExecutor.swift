import Glibc

/// A fixed pool of threads made for blocking work: registry store calls
/// (SQLite, the shared registry's libpq sessions) run here, never on Swift
/// concurrency's cooperative pool, which has one thread per core (two on
/// the machines Steward is measured on: one blocking call halves the daemon,
/// two stop it).
///
/// It is a `TaskExecutor`: the server starts each call's task with this
/// executor as its preference (`Task(executorPreference:)`), so the task's
/// code, the caller lookup and every synchronous store call under it, runs
/// on these threads from its first instruction, with no hop through the
/// cooperative pool. Actor-isolated code a task awaits still runs on its
/// actor. The threads are made once, at init; nothing here creates a thread
/// per call.
///
/// Jobs run in the order they arrive; a thread that has nothing to do
/// sleeps on a condition variable, and a new job wakes one sleeper only
/// when there is one.
public final class BlockingExecutor: TaskExecutor, @unchecked Sendable {
    // `@unchecked Sendable`: every field below is guarded by `mutex` or set
    // once in `init`.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue = JobRing()
    private var idleThreads = 0
    public let threadCount: Int

    /// The process's pool: the daemon's calls run their store work here.
    /// One pool for the process, made on first use, so that every server
    /// and store in it (a test process makes hundreds) shares its threads.
    /// 32: a write waiting for its group's commit holds a thread, and reads
    /// must still find threads while a dozen or two writers wait; more
    /// threads than that only contend for the store's read connections.
    public static let shared = BlockingExecutor(threads: 32)

    /// - Parameters:
    ///   - threads: how many threads; as many blocking calls can be under
    ///     way at once (a write waiting for its group's commit holds one).
    ///   - stackBytes: each thread's stack.
    public init(threads: Int, stackBytes: Int = 512 * 1024) {
        precondition(threads > 0, "a blocking executor needs at least one thread")
        threadCount = threads
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wakeUp, nil)
        for _ in 0..<threads { startThread(stackBytes: stackBytes) }
    }

    // The threads run for the life of the process; so does every executor
    // (the daemon's one, and the tests' few), hence no deinit that joins them.

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        queue.push(job)
        let wake = idleThreads > 0
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(wakeUp) }
    }

    /// Runs `body` on one of these threads and returns its result: for a
    /// blocking call made from async code that did not start here.
    public func run<Result: Sendable, Failure: Error>(
        _ body: @Sendable () throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        let outcome: Swift.Result<Result, Failure> = await withTaskExecutorPreference(self) {
            do throws(Failure) { return .success(try body()) } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    private func startThread(stackBytes: Int) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackBytes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, &attributes, { context in
            Unmanaged<BlockingExecutor>.fromOpaque(context!).takeRetainedValue().serve()
            return nil
        }, context)
        // Without its threads the daemon can serve no call; this fails only
        // when the process is out of memory or threads before serving anything.
        precondition(created == 0, "pthread_create failed: \(String(cString: strerror(created)))")
    }

    private func serve() -> Never {
        let executor = asUnownedTaskExecutor()
        while true {
            pthread_mutex_lock(mutex)
            while queue.isEmpty {
                idleThreads += 1
                pthread_cond_wait(wakeUp, mutex)
                idleThreads -= 1
            }
            let job = queue.pop()
            pthread_mutex_unlock(mutex)
            job.runSynchronously(on: executor)
        }
    }
}

/// A growable first-in first-out ring of jobs: no allocation once it has
/// grown to the largest backlog seen.
private struct JobRing {
    private var slots: [UnownedJob?] = Array(repeating: nil, count: 64)
    private var head = 0
    private var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func push(_ job: UnownedJob) {
        if count == slots.count { grow() }
        slots[(head + count) % slots.count] = job
        count += 1
    }

    mutating func pop() -> UnownedJob {
        let job = slots[head]!
        slots[head] = nil
        head = (head + 1) % slots.count
        count -= 1
        return job
    }

    private mutating func grow() {
        var larger = [UnownedJob?](repeating: nil, count: slots.count * 2)
        for index in 0..<count { larger[index] = slots[(head + index) % slots.count] }
        slots = larger
        head = 0
    }
}

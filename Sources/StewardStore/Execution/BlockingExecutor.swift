import CProcessControl
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
/// Jobs run in the order they arrive. Two limits keep a machine with two
/// cores from drowning in its own threads:
///
/// - **At most `activeLimit` threads compute at once.** Thirty-two threads
///   each running a short read on two cores only take turns, preempt each
///   other while holding locks, and pay a wake-up per job. A thread that
///   waits (for its group's commit, for the shared registry's answer) says
///   so with ``blocking(_:)``; it then no longer counts, and the next job
///   gets a thread. So reads keep running while writers wait for a disk
///   flush, and the pool's size only bounds how many can wait at once.
/// - **At most one wake-up on its way.** Waking a thread costs more than
///   most jobs (a futex call and a context switch). A job that arrives while
///   a woken thread is still getting up is left for it; that thread, when it
///   takes a job and finds more waiting, wakes the next one.
///
/// A job that blocks without saying so (a call this file has not been told
/// about) holds one of the `activeLimit` turns for as long as it waits; it
/// slows the pool but cannot stop it, as long as its wait ends and does not
/// depend on a job queued behind it (nothing in the store's does: a reader
/// waits only for other readers, a writer only for its group's leader,
/// which is running). Every wait on the registry, which may not end
/// promptly, is marked.
public final class BlockingExecutor: TaskExecutor, @unchecked Sendable {
    // `@unchecked Sendable`: every field below is guarded by `mutex` or set
    // once in `init`.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue = JobRing()
    /// Threads asleep on `wakeUp`.
    private var sleepingThreads = 0
    /// Threads running a job and not inside ``blocking(_:)``.
    private var computingThreads = 0
    /// Whether a thread has been signalled and has not yet looked at the
    /// queue: while it is on its way, new jobs wait for it instead of
    /// waking another.
    private var wakeUpPending = false
    public let threadCount: Int
    /// How many threads may compute at once (the rest of the running ones
    /// are waiting inside ``blocking(_:)``).
    public let activeLimit: Int

    /// The process's pool: the daemon's calls run their store work here.
    /// One pool for the process, made on first use, so that every server
    /// and store in it (a test process makes hundreds) shares its threads.
    /// 256 threads: a write waiting for its group's commit holds one, and
    /// reads must still find threads while a burst of writers waits (a
    /// group takes up to 128). A waiting thread costs its stack's touched
    /// pages, not CPU: only `activeLimit` compute. Twice as many
    /// computing as there are cores: a job is often a few microseconds of
    /// work around a system call, and a second thread per core fills those.
    public static let shared = BlockingExecutor(
        threads: 256, activeLimit: 2 * OnlineProcessors.count)

    /// - Parameters:
    ///   - threads: how many threads; as many calls can be waiting in
    ///     ``blocking(_:)`` at once.
    ///   - activeLimit: how many may compute at once (default: all).
    ///   - stackBytes: each thread's stack.
    public init(threads: Int, activeLimit: Int? = nil, stackBytes: Int = 512 * 1024) {
        precondition(threads > 0, "a blocking executor needs at least one thread")
        threadCount = threads
        self.activeLimit = max(1, min(threads, activeLimit ?? threads))
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
        let wake = needsWakeUp()
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

    /// Runs `body`, which waits (for a lock held across a disk flush, for
    /// a server's answer) rather than computes: on one of these threads the
    /// thread stops counting against `activeLimit` meanwhile, so another
    /// job can run. Anywhere else it just runs `body`.
    public static func blocking<Result, Failure: Error>(
        _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        guard let worker = WorkerThread.current, worker.blockingDepth == 0 else { return try body() }
        worker.blockingDepth += 1
        worker.executor.computingStopped()
        defer {
            worker.executor.computingResumed()
            worker.blockingDepth -= 1
        }
        return try body()
    }

    /// Whether a sleeper must be woken for the queued jobs, and if so marks
    /// the wake-up as on its way. Called with `mutex` held.
    private func needsWakeUp() -> Bool {
        guard !queue.isEmpty, sleepingThreads > 0, !wakeUpPending, computingThreads < activeLimit else { return false }
        wakeUpPending = true
        return true
    }

    private func computingStopped() {
        pthread_mutex_lock(mutex)
        computingThreads -= 1
        let wake = needsWakeUp()
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(wakeUp) }
    }

    private func computingResumed() {
        // Over the limit for a moment, perhaps: the next job waits until
        // enough of the running ones have ended.
        pthread_mutex_lock(mutex)
        computingThreads += 1
        pthread_mutex_unlock(mutex)
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
        // Named for top and perf; a thread would otherwise take its
        // creator's name, which may be anything.
        _ = steward_set_thread_name("steward-blocking")
        let executor = asUnownedTaskExecutor()
        WorkerThread.enter(WorkerThread(executor: self))
        pthread_mutex_lock(mutex)
        while true {
            while queue.isEmpty || computingThreads >= activeLimit {
                sleepingThreads += 1
                pthread_cond_wait(wakeUp, mutex)
                sleepingThreads -= 1
                // Whichever thread wakes first (the signalled one, or one
                // woken spuriously) has now looked: the next job may wake
                // another.
                wakeUpPending = false
            }
            let job = queue.pop()
            computingThreads += 1
            // More jobs than this thread can take: pass the wake-up on.
            let wake = needsWakeUp()
            pthread_mutex_unlock(mutex)
            if wake { pthread_cond_signal(wakeUp) }
            job.runSynchronously(on: executor)
            pthread_mutex_lock(mutex)
            computingThreads -= 1
        }
    }
}

/// What a ``BlockingExecutor`` thread knows about itself, found through a
/// thread-specific key: ``BlockingExecutor/blocking(_:)`` needs to know
/// which pool, if any, the calling thread belongs to.
private final class WorkerThread {
    let executor: BlockingExecutor
    /// Nested ``BlockingExecutor/blocking(_:)`` sections count once.
    var blockingDepth = 0

    init(executor: BlockingExecutor) { self.executor = executor }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let created = pthread_key_create(&key, nil)
        precondition(created == 0, "pthread_key_create failed")
        return key
    }()

    /// Makes `worker` the calling thread's for the rest of its life (the
    /// pool's threads never end, so it is never released).
    static func enter(_ worker: WorkerThread) {
        pthread_setspecific(key, Unmanaged.passRetained(worker).toOpaque())
    }

    static var current: WorkerThread? {
        guard let pointer = pthread_getspecific(key) else { return nil }
        return Unmanaged<WorkerThread>.fromOpaque(pointer).takeUnretainedValue()
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

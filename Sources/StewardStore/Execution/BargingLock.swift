import Glibc

/// A value behind a plain `pthread_mutex_t`, for state every call touches
/// (the server's statistics, per-method counters).
///
/// Why not the standard library's `Mutex`: on Linux it is a
/// priority-inheritance futex, which hands a released lock straight to the
/// thread that waited for it. Under contention every release then waits
/// for that thread to be scheduled before anyone can take the lock again,
/// and the lock's throughput falls to the scheduler's; measured under 500
/// connections, one such lock took a fifth of the daemon's time. A plain
/// mutex lets whichever thread is running take it ("barging").
///
/// Owns its mutex: made in `init`, destroyed in `deinit`.
public final class BargingLock<Value>: @unchecked Sendable {
    // `@unchecked Sendable`: `value` is only reached under `mutex`.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

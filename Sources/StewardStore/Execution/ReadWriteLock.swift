import Glibc

/// A value many threads read and few write, behind a `pthread_rwlock_t`:
/// readers do not wait for each other. (The standard library's `Mutex` is a
/// priority-inheritance futex on Linux, so every contended read would go to
/// the kernel; on a lookup every call makes, that was a tenth of the
/// daemon's time. See also ``BargingLock``.)
///
/// Owns its lock: made in `init`, destroyed in `deinit`.
public final class ReadWriteLock<Value>: @unchecked Sendable {
    // `@unchecked Sendable`: `value` is only reached under `lock`.
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// Runs `body` with the value, beside other readers.
    public func read<Result>(_ body: (borrowing Value) -> Result) -> Result {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body(value)
    }

    /// Runs `body` with the value to change, alone.
    public func write<Result>(_ body: (inout Value) -> Result) -> Result {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body(&value)
    }
}

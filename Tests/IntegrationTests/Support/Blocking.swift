import Foundation

/// Runs blocking work (poll, read, waitpid) on a thread of its own.
///
/// Swift Testing runs tests on the cooperative pool, which has one thread
/// per core; a test blocking one of them would starve the in-process
/// server's handlers, which run on the same pool.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}

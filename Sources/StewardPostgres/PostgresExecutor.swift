import Foundation
import StewardModel
import Synchronization

/// Runs blocking libpq work on threads of its own, so that a slow or hung
/// server never holds a thread that serves sockets or Swift concurrency's
/// small cooperative pool (one thread per core).
///
/// At most `maxConcurrentJobs` run at once; more wait their turn.
public final class PostgresExecutor: Sendable {
    private let slots: DispatchSemaphore
    public let maxConcurrentJobs: Int

    public init(maxConcurrentJobs: Int = 16) {
        self.maxConcurrentJobs = maxConcurrentJobs
        slots = DispatchSemaphore(value: maxConcurrentJobs)
    }

    /// Runs `job` on a dedicated thread and returns its result.
    public func run<T: Sendable>(_ job: @escaping @Sendable () throws(PostgresError) -> T) async throws(PostgresError) -> T {
        let result: Result<T, PostgresError> = await withCheckedContinuation { continuation in
            let thread = Thread { [slots] in
                slots.wait()
                defer { slots.signal() }
                continuation.resume(returning: Result { () throws(PostgresError) -> T in try job() })
            }
            thread.stackSize = 512 * 1024
            thread.start()
        }
        return try result.get()
    }

    /// Connects, runs `body` with the connection, and closes it on every path.
    public func withConnection<T: Sendable>(
        _ parameters: ConnectionParameters, deadline: Deadline, statementDeadline: Deadline? = nil,
        _ body: @escaping @Sendable (PostgresConnection) throws(PostgresError) -> T
    ) async throws(PostgresError) -> T {
        try await run { () throws(PostgresError) -> T in
            let connection = try PostgresConnection.connect(parameters, deadline: deadline, statementDeadline: statementDeadline)
            defer { connection.close() }
            return try body(connection)
        }
    }
}

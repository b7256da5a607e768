import Foundation
import StewardModel
import Synchronization

/// Runs blocking libpq work on threads of its own, so that a slow or hung
/// server never holds a thread that serves sockets or Swift concurrency's
/// small cooperative pool (one thread per core). Each job has a thread to
/// itself from the moment it is run, kept for later jobs once it is done
/// (``ReusableThreads``).
///
/// At most `maxConcurrentJobs` run at once; more wait their turn. Work for
/// one server is bulkheaded: at most `maxJobsPerServer` of the running jobs
/// are for any one server (host and port), and a job waits for its
/// server's share before it takes one of the shared slots. So a server that
/// hangs holds only its own share, each of its calls up to its deadline,
/// and the rest of the slots stay free for every other server; a job still
/// waiting for a slot when its deadline passes ends as `.timeout` without
/// having run.
public final class PostgresExecutor: Sendable {
    private let slots: DispatchSemaphore
    public let maxConcurrentJobs: Int
    public let maxJobsPerServer: Int
    /// Each server's share, made on its first job and kept (a handful of
    /// servers for the life of the daemon).
    private let serverShares = Mutex<[String: DispatchSemaphore]>([:])
    private let threads: ReusableThreads

    public init(maxConcurrentJobs: Int = 16, maxJobsPerServer: Int? = nil) {
        self.maxConcurrentJobs = maxConcurrentJobs
        // A quarter by default: four servers must hang at once before a
        // healthy one waits for a slot.
        self.maxJobsPerServer = min(maxConcurrentJobs, maxJobsPerServer ?? max(1, maxConcurrentJobs / 4))
        slots = DispatchSemaphore(value: maxConcurrentJobs)
        // As many idle threads kept as can run at once: the next burst of
        // running jobs finds them.
        threads = ReusableThreads(maxIdle: maxConcurrentJobs)
    }

    /// Runs `job` on a thread of its own and returns its result.
    ///
    /// - Parameters:
    ///   - server: the server the job works on (``ConnectionParameters/bulkheadKey``):
    ///     its share of the slots is taken first. Nil for work not tied to one server.
    ///   - deadline: how long the job may wait for its slots; it is not run
    ///     (`.timeout`) when the deadline passes first.
    public func run<T: Sendable>(
        for server: String? = nil, deadline: Deadline? = nil,
        _ job: @escaping @Sendable () throws(PostgresError) -> T
    ) async throws(PostgresError) -> T {
        let share = server.map(self.share(of:))
        let result: Result<T, PostgresError> = await withCheckedContinuation { continuation in
            threads.start { [slots] in
                let waitUntil = deadline.map { DispatchTime(uptimeNanoseconds: $0.uptimeNanoseconds) } ?? .distantFuture
                if let share, share.wait(timeout: waitUntil) == .timedOut {
                    continuation.resume(returning: .failure(Self.noSlot(server)))
                    return
                }
                defer { share?.signal() }
                guard slots.wait(timeout: waitUntil) == .success else {
                    continuation.resume(returning: .failure(Self.noSlot(server)))
                    return
                }
                defer { slots.signal() }
                continuation.resume(returning: Result { () throws(PostgresError) -> T in try job() })
            }
        }
        return try result.get()
    }

    /// Connects, runs `body` with the connection, and closes it on every
    /// path; within the server's share of the slots.
    public func withConnection<T: Sendable>(
        _ parameters: ConnectionParameters, deadline: Deadline, statementDeadline: Deadline? = nil,
        _ body: @escaping @Sendable (PostgresConnection) throws(PostgresError) -> T
    ) async throws(PostgresError) -> T {
        try await run(for: parameters.bulkheadKey, deadline: deadline) { () throws(PostgresError) -> T in
            let connection = try PostgresConnection.connect(parameters, deadline: deadline, statementDeadline: statementDeadline)
            defer { connection.close() }
            return try body(connection)
        }
    }

    /// The name of a server's bulkhead.
    public static func serverKey(host: String, port: Int) -> String { "\(host):\(port)" }

    private func share(of server: String) -> DispatchSemaphore {
        serverShares.withLock { shares in
            if let share = shares[server] { return share }
            let share = DispatchSemaphore(value: maxJobsPerServer)
            shares[server] = share
            return share
        }
    }

    private static func noSlot(_ server: String?) -> PostgresError {
        PostgresError(
            kind: .timeout,
            message: "the deadline passed while waiting for a PostgreSQL worker"
                + (server.map { " (\($0) already has its share of workers busy)" } ?? ""))
    }
}

extension ConnectionParameters {
    /// The server work for these parameters counts against in
    /// ``PostgresExecutor``'s bulkheads: host and port.
    public var bulkheadKey: String { PostgresExecutor.serverKey(host: host, port: port) }
}

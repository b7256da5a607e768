import Foundation
import PostgresTestSupport
@testable import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import StewardTestSupport
import Testing

/// Background work (enforcement runs, recheck rounds) makes synchronous
/// store calls; they must block threads made for blocking work, never
/// Swift's cooperative pool (one thread per core: two blocked calls stop
/// every task in the daemon). Issue 13, item 1.
///
/// The registry is a real one (a shared registry on PostgreSQL 17), made
/// to stop answering the way a busy registry does: another session holds
/// an exclusive lock on the connections table, so every store call that
/// lists connections waits in the server. Nothing is faked.
@Suite(
    "Background store calls leave the cooperative pool free (shared registry on PostgreSQL 17)", .serialized,
    .timeLimit(.minutes(3)))
struct BackgroundWorkExecutorTests {
    /// As many blocked background calls as the cooperative pool has threads
    /// (at least two): enough to stop it if they ran there. Capped well
    /// inside the blocking executor's 32 threads.
    static let blockedCalls = min(16, max(2, ProcessInfo.processInfo.activeProcessorCount))

    /// How long an ordinary task may take to run while the calls are blocked:
    /// it runs at once when the pool is free; the bound only ends the
    /// observation when the pool is starved. Shorter than the registry
    /// sessions' lock_timeout (10 s), which ends the blocked calls.
    static let plainTaskBound = DispatchTimeInterval.seconds(5)

    /// The daemon's background work that reads the registry outside any call.
    enum BackgroundWork: String, CaseIterable, CustomTestStringConvertible {
        /// Enforcement runs, each an `EnforcementScheduler`'s own task.
        case enforcementRuns
        /// Recheck rounds, each started the way the daemon starts them: from
        /// an ordinary task.
        case recheckRounds

        var testDescription: String { rawValue }
    }

    @Test("While background work is blocked in the registry, an ordinary task still runs", arguments: BackgroundWork.allCases)
    func blockedBackgroundCallsLeavePoolFree(work: BackgroundWork) async throws {
        let registry = try RegistryTestDatabase(on: .pg17, readSessions: Self.blockedCalls)
        let lock = try ConnectionsTableLock(registry)

        let prober = LiveConnectionProber(executor: testExecutor)
        var schedulers: [EnforcementScheduler] = []
        var rounds: [Task<[RecheckSchedule.Result], Never>] = []
        for _ in 0..<Self.blockedCalls {
            switch work {
            case .enforcementRuns:
                let scheduler = EnforcementScheduler(
                    store: registry.store, enforcer: RecordingEnforcer(), daemonUID: 990_003, auditMethod: "/test/Enforce")
                await scheduler.desiredStateMoved(.everyConnection)
                schedulers.append(scheduler)
            case .recheckRounds:
                let schedule = RecheckSchedule(
                    store: registry.store, service: ConnectionsService(store: registry.store, prober: prober),
                    interval: .seconds(3_600), actor: 990_003)
                rounds.append(Task { await schedule.runOnce() })
            }
        }

        let seen = await Self.observe(lock: lock, waitingFor: Self.blockedCalls) {
            Self.callsWaiting(onLockWaiters: $0, in: registry.store)
        }
        #expect(seen.blockedCalls >= Self.blockedCalls, "the background calls never reached the registry: \(seen)")
        #expect(seen.plainTaskRan, "an ordinary task could not run while \(seen.blockedCalls) background store calls were blocked")

        // Once the registry answers, the background work ends normally.
        for scheduler in schedulers { await scheduler.idle() }
        for round in rounds { #expect(await round.value.isEmpty) }
    }

    struct Observation: Sendable {
        /// Store calls seen waiting for the lock.
        var blockedCalls: Int
        /// Whether an ordinary task ran while they waited.
        var plainTaskRan: Bool
    }

    /// Store calls held up by the lock, given how many sessions wait for
    /// it. One-statement reads of concurrent calls are sent together
    /// (`PostgresReadBatcher`), so one session waiting for the lock may
    /// carry several calls' reads: while any session waits, every batched
    /// read not yet answered waits with it (nothing else runs during the
    /// test).
    static func callsWaiting(onLockWaiters sessions: Int, in store: PostgresRegistryStore) -> Int {
        guard sessions > 0 else { return 0 }
        let unanswered = store.readBatchStatistics.unanswered
        return max(sessions, unanswered)
    }

    /// On a thread of its own (the test's task needs the pool too): waits
    /// until `count` store calls wait for `lock`'s table lock (`calls`
    /// says how many, given how many sessions wait), starts an ordinary
    /// task and waits for it to run, then lets the lock go.
    static func observe(
        lock: ConnectionsTableLock, waitingFor count: Int, calls: @escaping @Sendable (Int) -> Int
    ) async -> Observation {
        await withCheckedContinuation { (continuation: CheckedContinuation<Observation, Never>) in
            let thread = Thread {
                var blocked = 0
                let giveUp = DispatchTime.now() + .seconds(60)
                // Polls the server for the condition (the calls are in
                // libpq, waiting; nothing in the process can say so).
                while blocked < count, DispatchTime.now() < giveUp {
                    blocked = calls((try? lock.waitingSessions()) ?? 0)
                    if blocked < count { usleep(10_000) }
                }
                var ran = false
                if blocked >= count {
                    let done = DispatchSemaphore(value: 0)
                    Task { done.signal() }
                    ran = done.wait(timeout: .now() + plainTaskBound) == .success
                }
                lock.release()
                continuation.resume(returning: Observation(blockedCalls: blocked, plainTaskRan: ran))
            }
            thread.start()
        }
    }
}

/// An exclusive lock on a shared registry's connections table, held by a
/// session of its own until ``release()``: every store call that lists
/// connections waits for it in the server.
///
/// `@unchecked Sendable`: its session is used by one thread at a time (the
/// test's, which takes the lock, then the observer's, which lets it go).
final class ConnectionsTableLock: @unchecked Sendable {
    private let session: PostgresConnection

    init(_ registry: RegistryTestDatabase) throws {
        session = try PostgresConnection.open(try registry.server.adminOverTCP(database: registry.name))
        do {
            try session.run("BEGIN")
            try session.run("LOCK TABLE steward_registry.connections IN ACCESS EXCLUSIVE MODE")
        } catch {
            session.close()
            throw error
        }
    }

    deinit { session.close() }

    /// Sessions of this database waiting for the lock.
    func waitingSessions() throws -> Int {
        let rows = try session.run(
            """
            SELECT count(*)::integer AS waiting FROM pg_catalog.pg_locks
            WHERE NOT granted AND relation = 'steward_registry.connections'::regclass
                AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
            """
        ).rows
        return try rows.first?.int("waiting") ?? 0
    }

    func release() { _ = try? session.run("ROLLBACK") }
}

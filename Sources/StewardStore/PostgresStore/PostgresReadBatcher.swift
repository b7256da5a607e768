import Dispatch
import StewardModel
import StewardPostgres

/// Sends the one-statement reads of concurrent calls together: one round
/// trip to the registry for many calls, instead of one each (libpq's
/// pipeline mode, ``PostgresSession/runBatch(_:deadline:)``).
///
/// Every call's caller lookup is such a read, and so are Connections.Get
/// and Users.Get, so under load most of the registry's work is reads of
/// one statement, each costing the daemon and the server a wake-up and a
/// send for a few microseconds of work. Batched, the server wakes once for
/// many. Each statement still runs on its own, with its own snapshot, taken
/// when the server reaches it, after its call began: a batched read is as
/// fresh as a lone one, so a grant or a revoke still holds from the next
/// call on every daemon.
///
/// Leaders and followers, as in ``GroupCommitQueue``: while fewer than
/// ``maxLeaders`` batches are under way, a reader leads one itself (alone,
/// a read costs what it did); beyond that it waits, and the next leader
/// takes every waiting statement at once. A leader leads until its own
/// statement is answered, then hands the lead to the first one waiting.
/// Nothing but the readers' own threads does the work.
final class PostgresReadBatcher: Sendable {
    /// A request's `outcome` and `leads` are written before its semaphore
    /// is signalled and read after the wait, which orders them.
    private final class Request: @unchecked Sendable {
        let sql: String
        let texts: [String?]
        let deadline: Deadline
        var outcome: Result<QueryResult, any Error>?
        /// The reader leads batches: from the start, or promoted while it
        /// waited (set under the lock).
        var leads = false
        let wake = DispatchSemaphore(value: 0)

        init(sql: String, texts: [String?], deadline: Deadline) {
            self.sql = sql
            self.texts = texts
            self.deadline = deadline
        }
    }

    private struct State {
        var waiting: [Request] = []
        var leaders = 0
        var statistics = ReadBatchStatistics()
    }

    /// Every read of the shared registry takes this lock two or three
    /// times, so it is a plain mutex (``BargingLock``): with the standard
    /// library's priority-inheritance `Mutex`, reads per daemon in
    /// `steward-bench shared` were a quarter lower.
    private let state = BargingLock(State())
    private let sessions: SessionPool
    /// Batches under way at once: one per read session.
    let maxLeaders: Int
    /// At most this many statements in one batch.
    static let maxBatch = 64

    init(sessions: SessionPool) {
        self.sessions = sessions
        self.maxLeaders = sessions.size
    }

    /// Since the store opened: batches sent, the statements they carried,
    /// and the statements asked for.
    var statistics: ReadBatchStatistics { state.withLock { $0.statistics } }

    /// Runs one statement in the next batch and returns its rows, or throws
    /// its error, or the error that stopped its batch.
    ///
    /// All of it is a wait, for a batch's leader or for the registry's
    /// answer, so the blocking pool runs other jobs meanwhile
    /// (``BlockingExecutor/blocking(_:)``).
    func run(_ sql: String, _ texts: [String?], deadline: Deadline) throws -> QueryResult {
        try BlockingExecutor.blocking { () throws -> QueryResult in try runInBatch(sql, texts, deadline: deadline) }
    }

    private func runInBatch(_ sql: String, _ texts: [String?], deadline: Deadline) throws -> QueryResult {
        let own = Request(sql: sql, texts: texts, deadline: deadline)
        let leads = state.withLock { state in
            state.waiting.append(own)
            state.statistics.arrivals += 1
            guard state.leaders < maxLeaders else { return false }
            state.leaders += 1
            // A leader already: never to be promoted while it waits.
            own.leads = true
            return true
        }
        if !leads {
            // A reader waits no longer than its deadline: a batch under way
            // may be bounded by a later one.
            if own.wake.wait(timeout: DispatchTime(uptimeNanoseconds: deadline.uptimeNanoseconds)) == .timedOut {
                let promoted = state.withLock { state in
                    if let index = state.waiting.firstIndex(where: { $0 === own }) { state.waiting.remove(at: index) }
                    return own.leads
                }
                if promoted {
                    // The lead passes on; the promotion's signal is consumed.
                    own.wake.wait()
                    handOver()
                }
                // Withdrawn, or in a batch under way whose answer will come
                // to nobody: either way, too late.
                throw StoreError(.unavailable, "the registry did not answer in time: every read session was still busy")
            }
            // Answered, or woken to lead (still waiting).
            guard own.leads else { return try answer(own) }
        }
        lead(until: own)
        // The answer's signal, which may already have come.
        own.wake.wait()
        return try answer(own)
    }

    private func answer(_ request: Request) throws -> QueryResult {
        guard let outcome = request.outcome else {
            throw StoreError(.io, "the registry store failed", detail: "a batched read was not answered")
        }
        return try outcome.get()
    }

    /// Sends batches until `own` has been sent in one (or, when nothing is
    /// left to take, another leader has it), then hands the lead on.
    private func lead(until own: Request) {
        while true {
            let batch = state.withLock { state in
                let batch = Array(state.waiting.prefix(Self.maxBatch))
                state.waiting.removeFirst(batch.count)
                if batch.isEmpty {
                    state.leaders -= 1
                } else {
                    state.statistics.batches += 1
                    state.statistics.statements += batch.count
                }
                return batch
            }
            if batch.isEmpty { return }
            send(batch)
            if batch.contains(where: { $0 === own }) { break }
        }
        handOver()
    }

    /// Gives up this thread's lead: to the first reader waiting, if any.
    private func handOver() {
        let next = state.withLock { state -> Request? in
            state.leaders -= 1
            guard let first = state.waiting.first, !first.leads, state.leaders < maxLeaders else { return nil }
            state.leaders += 1
            first.leads = true
            return first
        }
        next?.wake.signal()
    }

    /// Runs `batch` on a read session under its earliest deadline (each
    /// request's is the call's, or the statement bound), and answers each
    /// request: its rows, its statement's error, or the batch's.
    private func send(_ batch: [Request]) {
        let earliest = batch.map(\.deadline).min() ?? .after(milliseconds: 0)
        do {
            let outcomes = try Deadline.$ofCurrentCall.withValue(earliest) { () throws(StoreError) in
                try sessions.withSession { session in
                    try session.runBatch(batch.map { ($0.sql, $0.texts) }, deadline: earliest)
                }
            }
            for (request, outcome) in zip(batch, outcomes) { request.outcome = outcome.mapError { $0 } }
        } catch {
            for request in batch { request.outcome = .failure(error) }
        }
        state.withLock { $0.statistics.answered += batch.count }
        for request in batch { request.wake.signal() }
    }
}

/// What a ``PostgresReadBatcher`` has sent: fewer batches than statements
/// means reads of several calls shared round trips.
package struct ReadBatchStatistics: Sendable, Equatable {
    package var batches = 0
    package var statements = 0
    /// Statements asked for (sent, or waiting).
    package var arrivals = 0
    /// Statements whose batch has come back (with rows or an error).
    package var answered = 0

    /// Statements asked for and not yet answered: their readers wait, for
    /// a batch or for the registry. Readers that gave up at their deadline
    /// stay counted.
    package var unanswered: Int { arrivals - answered }
}

import Dispatch
import StewardModel

/// What group commit needs of a database connection: one transaction, and
/// a savepoint per member inside it. SQLite's is ``SQLiteDatabase``; the
/// shared registry's is ``PostgresSession``.
package protocol GroupCommitConnection {
    /// Opens the group's transaction, taking the write lock at once.
    func beginGroup() throws
    /// Marks where one member's changes begin.
    func beginMember() throws
    /// Keeps the member's changes in the group.
    func releaseMember() throws
    /// Undoes the member's changes only; the group goes on.
    func rollBackMember() throws
    /// Commits the group; returns only once the commit is durable.
    func commitGroup() throws
    /// Undoes the whole group, if its transaction is still open.
    func rollBackGroup()
    /// Whether the group's transaction is still open: a database may end it
    /// by itself after some failures (SQLite on a full disk, for one).
    var isInTransaction: Bool { get }
}

/// Commits concurrent write transactions together.
///
/// A durable commit costs one fsync (about a millisecond on the machines
/// Steward is measured on), so one commit per write caps writes near a
/// thousand a second. Writers that arrive while a commit is under way wait
/// together; the next commit takes them all as one transaction, each
/// caller's body in a savepoint of its own, so that one caller's failure
/// rolls back its own changes and nobody else's. Every caller returns only
/// after the COMMIT that holds its changes returned (durable, under
/// `synchronous=FULL`), or with the error that kept it out.
///
/// Leader and followers: the first writer to find no commit under way
/// leads; it runs every waiting body on the connection (the followers'
/// threads wait, so their non-escaping bodies are still alive), commits,
/// and wakes them. If more writers arrived meanwhile, the first of them is
/// woken to lead the next group. So nothing but the writers' own threads
/// does the work, and one writer alone pays one savepoint more than a
/// plain transaction.
///
/// Deadlines: the leader's thread runs the followers' bodies, so their
/// calls' deadlines (``Deadline/ofCurrentCall``, a task-local) would be the
/// leader's. A group runs under the earliest deadline of its members
/// instead: no follower, blocked until its group is done, waits past its
/// own deadline on work bounded by a later one (the shared registry's
/// statements read it).
package final class GroupCommitQueue<Connection: GroupCommitConnection>: @unchecked Sendable {
    // `@unchecked Sendable`: `state` is behind a lock; a Member's fields are
    // written by the leader before it signals the member's semaphore and
    // read by the member after its wait, which orders them.

    private final class Member: @unchecked Sendable {
        /// The caller's body; let go (nil) once its group is done, before
        /// the caller is woken: `withoutActuallyEscaping` traps if the
        /// body outlives the call.
        var run: ((Connection) throws -> Void)?
        var failure: (any Error)?
        var isDone = false
        let wake = DispatchSemaphore(value: 0)
        /// The caller's call deadline, read on its own task.
        let deadline: Deadline?
        /// Chosen to lead the next group (set under the lock).
        var promoted = false
        init(_ run: @escaping (Connection) throws -> Void, deadline: Deadline?) {
            self.run = run
            self.deadline = deadline
        }
    }

    private struct State {
        var waiting: [Member] = []
        var hasLeader = false
    }
    private let state = BargingLock(State())
    private let counters = Counters()
    /// At most this many bodies share a transaction, so one group's
    /// latency stays bounded however many writers queue.
    package let maxGroupSize: Int

    package init(maxGroupSize: Int = 128) {
        precondition(maxGroupSize > 0)
        self.maxGroupSize = maxGroupSize
    }

    /// Since this queue was made: commits, the writes they carried, and
    /// the writes that have been asked for (committed, failed or waiting).
    package var statistics: GroupCommitStatistics { counters.read() }

    /// Runs `body` in the next group's transaction and returns its result
    /// once that transaction is committed; throws `body`'s error (its
    /// changes undone, the group's kept), or the error that stopped the
    /// whole group (its changes undone).
    ///
    /// - Parameter access: hands the leader the connection (under the
    ///   store's lock); the same for every caller of this queue.
    ///
    /// All of it counts as waiting (``BlockingExecutor/blocking(_:)``): a
    /// follower waits for its leader, a leader for the disk, and the
    /// blocking pool's other jobs, reads among them, run meanwhile.
    package func perform<Result>(
        access: (_ work: (Connection) throws -> Void) throws -> Void, _ body: (Connection) throws -> Result
    ) throws -> Result {
        try BlockingExecutor.blocking { () throws -> Result in try performInGroup(access: access, body) }
    }

    private func performInGroup<Result>(
        access: (_ work: (Connection) throws -> Void) throws -> Void, _ body: (Connection) throws -> Result
    ) throws -> Result {
        var result: Result?
        try withoutActuallyEscaping({ (connection: Connection) throws -> Void in result = try body(connection) }) { run in
            let member = Member(run, deadline: Deadline.ofCurrentCall)
            counters.arrived()
            let leads = state.withLock { state in
                state.waiting.append(member)
                if state.hasLeader { return false }
                state.hasLeader = true
                return true
            }
            if !leads {
                // Woken when a leader has committed (or failed) this body,
                // or when this member is to lead the next group.
                waitForTurn(member)
            }
            if !member.isDone { lead(until: member, access: access) }
            // The leader let go of `run` before waking this thread (or this
            // thread did, leading).
            if let failure = member.failure { throw failure }
        }
        return result!
    }

    /// Commits groups until `own` is committed, then hands the lead to the
    /// first writer still waiting, if any.
    private func lead(until own: Member, access: (_ work: (Connection) throws -> Void) throws -> Void) {
        while !own.isDone {
            let group = state.withLock { state in
                let group = Array(state.waiting.prefix(maxGroupSize))
                state.waiting.removeFirst(group.count)
                return group
            }
            commit(group, access: access)
            for member in group where member !== own { member.wake.signal() }
        }
        passLead()
    }

    /// Hands the lead to the first writer waiting, or ends it.
    private func passLead() {
        let next = state.withLock { state in
            if let first = state.waiting.first {
                first.promoted = true
                return first as Member?
            }
            state.hasLeader = false
            return nil
        }
        next?.wake.signal()
    }

    /// Waits to be answered or to lead, but no longer than the caller's
    /// deadline while its body is still queued: a group under way may be
    /// bounded by a later one. A body already in a group is bounded by its
    /// own deadline (the group's is the earliest), so it is waited for.
    private func waitForTurn(_ member: Member) {
        guard let deadline = member.deadline else { return member.wake.wait() }
        guard member.wake.wait(timeout: DispatchTime(uptimeNanoseconds: deadline.uptimeNanoseconds)) == .timedOut else {
            return
        }
        let (withdrawn, promoted) = state.withLock { state in
            guard let index = state.waiting.firstIndex(where: { $0 === member }) else { return (false, false) }
            state.waiting.remove(at: index)
            return (true, member.promoted)
        }
        guard withdrawn else { return member.wake.wait() }
        if promoted {
            // The lead passes on; the promotion's signal is consumed.
            member.wake.wait()
            passLead()
        }
        member.failure = StoreError(
            .unavailable, "the registry did not answer in time: the writes before this one were still being committed")
        member.run = nil
        member.isDone = true
    }

    private func commit(_ group: [Member], access: (_ work: (Connection) throws -> Void) throws -> Void) {
        let earliest = group.compactMap(\.deadline).min()
        Deadline.$ofCurrentCall.withValue(earliest) { commitUnderDeadline(group, access: access) }
    }

    private func commitUnderDeadline(_ group: [Member], access: (_ work: (Connection) throws -> Void) throws -> Void) {
        var committed = 0
        do {
            try access { connection in
                try connection.beginGroup()
                do {
                    for member in group { try runMember(member, on: connection) }
                    committed = group.count(where: { $0.failure == nil })
                    if committed > 0 { try connection.commitGroup() } else { connection.rollBackGroup() }
                } catch {
                    connection.rollBackGroup()
                    throw error
                }
            }
        } catch {
            // The group did not commit: nobody's changes stand.
            committed = 0
            for member in group where member.failure == nil { member.failure = error }
        }
        if committed > 0 { counters.add(commits: 1, writes: committed) }
        for member in group {
            member.run = nil
            member.isDone = true
        }
    }

    /// Runs one body in its savepoint. Its failure is its own, unless the
    /// database ended the whole transaction: then the error stops the group.
    private func runMember(_ member: Member, on connection: Connection) throws {
        try connection.beginMember()
        do {
            try member.run?(connection)
            try connection.releaseMember()
        } catch {
            member.failure = error
            guard connection.isInTransaction else { throw error }
            do { try connection.rollBackMember() } catch {
                // A savepoint that cannot be rolled back leaves the group's
                // state unknown: none of it may commit.
                throw error
            }
        }
    }
}

/// What a ``GroupCommitQueue`` has done: fewer commits than writes means
/// writes were committed together.
package struct GroupCommitStatistics: Sendable, Equatable {
    package var commits = 0
    package var writes = 0
    package var arrivals = 0
}

/// The queue's counters, read together.
private final class Counters: Sendable {
    private let values = BargingLock(GroupCommitStatistics())

    func add(commits: Int, writes: Int) {
        values.withLock { $0.commits += commits; $0.writes += writes }
    }

    func arrived() { values.withLock { $0.arrivals += 1 } }

    func read() -> GroupCommitStatistics { values.withLock { $0 } }
}

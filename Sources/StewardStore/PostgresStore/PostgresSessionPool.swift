import Dispatch
import StewardModel

/// Several registry sessions of one kind (the store's write sessions, or
/// its read sessions), each a ``SessionSlot``: a call takes whichever is
/// idle, so calls run side by side on the registry instead of queueing
/// behind one session. Several write sessions let PostgreSQL commit
/// concurrent transactions together (its own group commit) and keep a
/// long write (a large import, a sync) from holding up the short ones.
///
/// Waiting for an idle session is bounded: by the call's deadline
/// (``Deadline/ofCurrentCall``), else by ``waitMilliseconds`` (the
/// store's statement bound), so a registry that stopped answering, with
/// every session stuck in a statement, cannot hold a call past either.
final class SessionPool: Sendable {
    private let slots: [SessionSlot]
    /// Indices of the slots no call is using.
    private let idle: BargingLock<[Int]>
    /// Counts the idle slots; a call waits on it for its turn.
    private let turns: DispatchSemaphore
    let waitMilliseconds: Int
    let kind: String

    /// `first` is an open session for the first slot; the others connect on
    /// first use.
    init(
        kind: String, size: Int, first: PostgresSession, waitMilliseconds: Int,
        connect: @escaping @Sendable () throws(StoreError) -> PostgresSession
    ) {
        precondition(size >= 1)
        self.kind = kind
        self.slots = (0..<size).map { index in SessionSlot(session: index == 0 ? first : nil, connect: connect) }
        // The first slot is taken first: it is the one already connected.
        self.idle = BargingLock(Array((0..<size).reversed()))
        self.turns = DispatchSemaphore(value: size)
        self.waitMilliseconds = waitMilliseconds
    }

    var size: Int { slots.count }

    /// Reconnects tried by all the pool's slots.
    var reconnectAttempts: Int { slots.reduce(0) { $0 + $1.reconnectAttempts } }

    func close() {
        for slot in slots { slot.close() }
    }

    /// Hands `body` an idle session (``SessionSlot/withSession(_:)``).
    /// The whole of it is a wait for the registry (for a session, then for
    /// its answers), so it lets the blocking pool run other jobs meanwhile.
    func withSession<Result: Sendable>(_ body: (PostgresSession) throws -> Result) throws(StoreError) -> Result {
        try BlockingExecutor.blocking { () throws(StoreError) -> Result in try waitForSession(body) }
    }

    private func waitForSession<Result: Sendable>(_ body: (PostgresSession) throws -> Result) throws(StoreError) -> Result {
        let deadline = Deadline.within(milliseconds: waitMilliseconds)
        guard turns.wait(timeout: DispatchTime(uptimeNanoseconds: deadline.uptimeNanoseconds)) == .success else {
            throw StoreError(
                .unavailable,
                "the registry did not answer in time: every \(kind) session was still busy")
        }
        let index = idle.withLock { $0.removeLast() }
        defer {
            idle.withLock { $0.append(index) }
            turns.signal()
        }
        return try slots[index].withSession(body)
    }
}

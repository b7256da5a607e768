import Dispatch

/// A few query-only connections for reads. In WAL mode each reads the last
/// committed snapshot while a write transaction runs, so no read waits for
/// a writer, and several reads (the caller lookup every call makes among
/// them) run at once instead of queueing behind one reader.
///
/// Owns its connections: ``close()`` closes each exactly once, after the
/// reads under way have given theirs back.
final class SQLiteReadPool: Sendable {
    /// A connection checked out to one reader at a time, which is what
    /// makes the unchecked `Sendable` sound.
    private final class Slot: @unchecked Sendable {
        let database: SQLiteDatabase
        init(_ database: SQLiteDatabase) { self.database = database }
    }

    private struct State {
        var free: [Slot]
        var isClosed = false
    }
    /// Taken twice by every read, the caller lookup of every call among
    /// them: a plain mutex (``BargingLock``), not a priority-inheritance one.
    private let state: BargingLock<State>
    private let available: DispatchSemaphore
    let size: Int

    /// Takes ownership of `connections`, each already opened query-only.
    init(_ connections: [SQLiteDatabase]) {
        precondition(!connections.isEmpty)
        size = connections.count
        state = BargingLock(State(free: connections.map(Slot.init)))
        available = DispatchSemaphore(value: connections.count)
    }

    /// Runs `body` with a free connection, waiting for one if all are busy.
    /// Throws `closed` once the pool is closed.
    func withConnection<Result>(closed: StoreError, _ body: (SQLiteDatabase) throws -> Result) throws -> Result {
        available.wait()
        defer { available.signal() }
        guard let slot = state.withLock({ $0.isClosed ? nil : $0.free.popLast() }) else { throw closed }
        defer { state.withLock { $0.free.append(slot) } }
        return try body(slot.database)
    }

    /// Closes every connection once the reads under way have ended; later
    /// reads fail.
    func close() {
        state.withLock { $0.isClosed = true }
        for _ in 0..<size { available.wait() }
        state.withLock { state in
            for slot in state.free { slot.database.close() }
        }
        for _ in 0..<size { available.signal() }
    }
}

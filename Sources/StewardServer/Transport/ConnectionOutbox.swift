import StewardStore
import StewardWire

/// Hands results from handler tasks to a connection's I/O queue.
///
/// Handlers run off the I/O queue; rather than hopping onto it once per
/// answer, they append here and the first of a batch schedules one drain, so
/// the I/O queue encodes and writes a whole batch with one send.
/// It also tells streaming handlers when to wait: while the bytes queued for
/// a peer exceed the connection's limit.
final class ConnectionOutbox: Sendable {
    enum Item: Sendable {
        case message(callID: UInt64, token: UInt64, payload: [UInt8])
        case end(callID: UInt64, token: UInt64, outcome: CallOutcome)
    }

    private struct State {
        var items: [Item] = []
        var isDrainScheduled = false
        var queuedBytes = 0
        /// Bytes the socket has not yet taken, as of the last flush.
        var unsentBytes = 0
        var isClosed = false
        var capacityWaiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var nextWaiterID: UInt64 = 0
        /// Waiters whose task was cancelled before they could register.
        var cancelledWaiterIDs: Set<UInt64> = []
    }

    /// Every answer and every drain of the connection takes it.
    private let state = BargingLock(State())
    private let limitBytes: Int

    init(limitBytes: Int) {
        self.limitBytes = limitBytes
    }

    /// Queues an item; returns true when the caller must schedule a drain.
    func post(_ item: Item, bytes: Int) -> Bool {
        state.withLock { state in
            guard !state.isClosed else { return false }
            state.items.append(item)
            state.queuedBytes += bytes
            defer { state.isDrainScheduled = true }
            return !state.isDrainScheduled
        }
    }

    /// Takes everything queued. Called by the drain on the I/O queue.
    func takeAll() -> [Item] {
        state.withLock { state in
            defer {
                state.items = []
                state.queuedBytes = 0
                state.isDrainScheduled = false
            }
            return state.items
        }
    }

    /// Records how much the socket still has to send, and wakes streaming
    /// handlers when there is room again.
    func updateUnsentBytes(_ unsent: Int) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.unsentBytes = unsent
            guard state.queuedBytes + unsent <= limitBytes else { return [] }
            defer { state.capacityWaiters = [:] }
            return Array(state.capacityWaiters.values)
        }
        waiters.forEach { $0.resume() }
    }

    /// Waits until the peer has room for more, or throws once the connection
    /// closed or the calling task is cancelled.
    func waitForCapacity() async throws {
        let waiterID = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if state.isClosed || state.cancelledWaiterIDs.remove(waiterID) != nil {
                        return .failure(CancellationError())
                    }
                    if state.queuedBytes + state.unsentBytes <= limitBytes { return .success(()) }
                    state.capacityWaiters[waiterID] = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                guard let waiter = state.capacityWaiters.removeValue(forKey: waiterID) else {
                    state.cancelledWaiterIDs.insert(waiterID)
                    return nil as CheckedContinuation<Void, any Error>?
                }
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    var hasCapacity: Bool {
        state.withLock { $0.queuedBytes + $0.unsentBytes <= limitBytes }
    }

    /// Refuses further items and fails every waiter.
    func close() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.isClosed = true
            state.items = []
            defer { state.capacityWaiters = [:] }
            return Array(state.capacityWaiters.values)
        }
        waiters.forEach { $0.resume(throwing: CancellationError()) }
    }
}

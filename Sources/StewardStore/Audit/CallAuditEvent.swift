import Synchronization

/// The audit event of the change a mutating call is making, committed by
/// the store in the same transaction as the change.
///
/// A change and its event written in two transactions can be split by a
/// crash (`kill -9` between them left applied changes with no event), so a
/// call that changes the registry hands its success event to the store
/// before the write, through ``RegistryStore/recording(_:_:)``; the store's
/// write transaction appends it just before COMMIT and marks it committed
/// once COMMIT returned. A call that ends without such a write (a failure,
/// a denial, a call that had nothing to change) finds it uncommitted and
/// writes its event in a transaction of its own, as before.
public final class CallAuditEvent: Sendable {
    private let makeEvent: @Sendable (_ message: String) -> NewAuditEvent
    private struct State {
        var message = ""
        var committed = false
    }
    private let state = Mutex(State())

    /// The call whose write runs on this task, if any. A task-local rather
    /// than a parameter of every mutating store method: the event belongs
    /// to the call, not to any one method, and it reaches every backend's
    /// one write path (`write` in each store) without widening the protocol.
    @TaskLocal static var current: CallAuditEvent?

    /// - Parameter makeEvent: the success event, given the message the call
    ///   chose (``note(_:)``); asked inside the write transaction.
    public init(_ makeEvent: @escaping @Sendable (_ message: String) -> NewAuditEvent) {
        self.makeEvent = makeEvent
    }

    /// What the success event's message says (e.g. that a password was kept).
    public func note(_ message: String) {
        state.withLock { $0.message = message }
    }

    public var message: String { state.withLock { $0.message } }

    /// Whether the event was committed with a change.
    public var isCommitted: Bool { state.withLock { $0.committed } }

    /// The event to append in the current write transaction; nil once committed.
    func pendingEvent() -> NewAuditEvent? {
        state.withLock { $0.committed ? nil : makeEvent($0.message) }
    }

    func markCommitted() {
        state.withLock { $0.committed = true }
    }
}

extension RegistryStore {
    /// Runs `body` with `event` bound to its writes: the first write
    /// transaction that commits a change commits the event with it.
    public func recording<Result>(
        _ event: CallAuditEvent, _ body: () throws -> Result
    ) rethrows -> Result {
        try CallAuditEvent.$current.withValue(event, operation: body)
    }

    /// The async form, for calls that await between their reads and their write.
    public func recording<Result>(
        _ event: CallAuditEvent, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Result
    ) async rethrows -> Result {
        try await CallAuditEvent.$current.withValue(event, operation: body)
    }
}

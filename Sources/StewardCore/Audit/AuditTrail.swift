import Foundation
import StewardStore
import StewardWire

/// Writes the audit trail: every mutating call, allowed or denied, becomes
/// one event with who, what, on what, and how it ended.
public struct AuditTrail: Sendable {
    let store: any RegistryStore
    let clock: @Sendable () -> Date
    let onWriteFailure: @Sendable (StoreError) -> Void

    /// Text a caller controls is clamped, so that a request cannot make the
    /// append-only trail grow by megabytes per event.
    static let maxTargetCharacters = 256
    static let maxMessageCharacters = 4_096

    /// - Parameter onWriteFailure: told when an event cannot be written
    ///   (the daemon logs it); the call's own outcome stands.
    public init(
        store: any RegistryStore, clock: @escaping @Sendable () -> Date = { Date() },
        onWriteFailure: @escaping @Sendable (StoreError) -> Void = { _ in }
    ) {
        self.store = store
        self.clock = clock
        self.onWriteFailure = onWriteFailure
    }

    /// Records one outcome in a transaction of its own: a denial, a failure,
    /// or a success that changed nothing. An audit write that fails must not
    /// turn the call's outcome into another, so it is reported to
    /// `onWriteFailure`.
    public func record(
        _ method: String, _ caller: Caller, target: String?, connectionKey: String?, status: StatusCode, message: String
    ) {
        do { try store.appendAuditEvent(event(method, caller, target: target, connectionKey: connectionKey, status: status, message: message)) }
        catch { onWriteFailure(error) }
    }

    func event(
        _ method: String, _ caller: Caller, target: String?, connectionKey: String?, status: StatusCode, message: String
    ) -> NewAuditEvent {
        NewAuditEvent(
            at: clock(), uid: caller.uid, userName: caller.userName, method: method,
            target: target.map { Self.clamp($0, to: Self.maxTargetCharacters) },
            connectionKey: connectionKey.map { Self.clamp($0, to: Self.maxTargetCharacters) }, status: status,
            message: Self.clamp(message, to: Self.maxMessageCharacters))
    }

    /// Records one outcome of `call` in a transaction of its own.
    public func record(_ call: AuditedCall, status: StatusCode, message: String) {
        record(call.method, call.caller, target: call.target, connectionKey: call.connectionKey, status: status, message: message)
    }

    /// The success event of a call, for the store to commit with its change.
    func successEvent(_ call: AuditedCall) -> CallAuditEvent {
        CallAuditEvent { [self] message in
            event(call.method, call.caller, target: call.target, connectionKey: call.connectionKey, status: .ok, message: message)
        }
    }

    /// Runs a mutating call and records its outcome, whether it was allowed
    /// or not: a success in the transaction of its change (``CallAuditEvent``),
    /// anything else in one of its own. One event per call: once the change
    /// and its event are committed they stand, even if the call fails later.
    public func audited<T>(
        _ call: AuditedCall, _ body: () async throws(DomainError) -> T
    ) async throws(DomainError) -> T {
        try await audited(call, noting: { _ async throws(DomainError) in try await body() })
    }

    /// The asynchronous form whose `body` may ``CallAuditEvent/note(_:)`` what
    /// the allowed call did that the record should show.
    public func audited<T>(
        _ call: AuditedCall, noting body: (CallAuditEvent) async throws(DomainError) -> T
    ) async throws(DomainError) -> T {
        let success = successEvent(call)
        let outcome: Result<T, DomainError> = await store.recording(success) { () async -> Result<T, DomainError> in
            do throws(DomainError) { return .success(try await body(success)) } catch { return .failure(error) }
        }
        return try settle(outcome, success, call)
    }

    /// The synchronous form.
    public func audited<T>(_ call: AuditedCall, _ body: () throws(DomainError) -> T) throws(DomainError) -> T {
        try audited(call, noting: { _ throws(DomainError) in try body() })
    }

    /// The synchronous form whose `body` may ``CallAuditEvent/note(_:)`` what
    /// the allowed call chose that the record should show (e.g. a kept password).
    public func audited<T>(
        _ call: AuditedCall, noting body: (CallAuditEvent) throws(DomainError) -> T
    ) throws(DomainError) -> T {
        let success = successEvent(call)
        let outcome: Result<T, DomainError> = store.recording(success) { () -> Result<T, DomainError> in
            do throws(DomainError) { return .success(try body(success)) } catch { return .failure(error) }
        }
        return try settle(outcome, success, call)
    }

    private func settle<T>(
        _ outcome: Result<T, DomainError>, _ success: CallAuditEvent, _ call: AuditedCall
    ) throws(DomainError) -> T {
        guard !success.isCommitted else { return try outcome.get() }
        switch outcome {
        case .success(let result):
            record(call, status: .ok, message: success.message)
            return result
        case .failure(let error):
            record(call, status: error.code, message: error.message)
            throw error
        }
    }

    static func clamp(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        return text.prefix(limit - 1) + "…"
    }
}

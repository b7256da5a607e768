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

    /// Records one outcome. The event is written after the change, in a
    /// transaction of its own: an audit write that fails must not turn a
    /// done change into an error, so it is reported to `onWriteFailure`.
    public func record(
        _ method: String, _ caller: Caller, target: String?, connectionKey: String?, status: StatusCode, message: String
    ) {
        let event = NewAuditEvent(
            at: clock(), uid: caller.uid, userName: caller.userName, method: method,
            target: target.map { Self.clamp($0, to: Self.maxTargetCharacters) },
            connectionKey: connectionKey.map { Self.clamp($0, to: Self.maxTargetCharacters) }, status: status,
            message: Self.clamp(message, to: Self.maxMessageCharacters))
        do { try store.appendAuditEvent(event) } catch { onWriteFailure(error) }
    }

    /// Runs a mutating call and records its outcome, whether it was allowed or not.
    public func audited<T>(
        _ method: String, _ caller: Caller, target: String?, connectionKey: String? = nil,
        _ body: () async throws(DomainError) -> T
    ) async throws(DomainError) -> T {
        do {
            let result = try await body()
            record(method, caller, target: target, connectionKey: connectionKey, status: .ok, message: "")
            return result
        } catch {
            record(method, caller, target: target, connectionKey: connectionKey, status: error.code, message: error.message)
            throw error
        }
    }

    /// `successMessage` is asked after `body` succeeds: what the allowed
    /// call chose that the record should show (e.g. a kept password).
    public func audited<T>(
        _ method: String, _ caller: Caller, target: String?, connectionKey: String? = nil,
        successMessage: () -> String = { "" }, _ body: () throws(DomainError) -> T
    ) throws(DomainError) -> T {
        do {
            let result = try body()
            record(method, caller, target: target, connectionKey: connectionKey, status: .ok, message: successMessage())
            return result
        } catch {
            record(method, caller, target: target, connectionKey: connectionKey, status: error.code, message: error.message)
            throw error
        }
    }

    static func clamp(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        return text.prefix(limit - 1) + "…"
    }
}

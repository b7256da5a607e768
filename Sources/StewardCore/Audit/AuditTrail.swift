import Foundation
import StewardStore
import StewardWire

/// Writes the audit trail: every mutating call, allowed or denied, becomes
/// one event with who, what, on what, and how it ended.
public struct AuditTrail: Sendable {
    let store: any RegistryStore
    let clock: @Sendable () -> Date

    public init(store: any RegistryStore, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.clock = clock
    }

    /// Records one outcome. An audit write that fails must not turn a done
    /// change into an error; it is the store's own failure, reported by its
    /// next call.
    public func record(
        _ method: String, _ caller: Caller, target: String?, connectionKey: String?, status: StatusCode, message: String
    ) {
        _ = try? store.appendAuditEvent(
            NewAuditEvent(
                at: clock(), uid: caller.uid, userName: caller.userName, method: method, target: target,
                connectionKey: connectionKey, status: status, message: message))
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

    public func audited<T>(
        _ method: String, _ caller: Caller, target: String?, connectionKey: String? = nil,
        _ body: () throws(DomainError) -> T
    ) throws(DomainError) -> T {
        do {
            let result = try body()
            record(method, caller, target: target, connectionKey: connectionKey, status: .ok, message: "")
            return result
        } catch {
            record(method, caller, target: target, connectionKey: connectionKey, status: error.code, message: error.message)
            throw error
        }
    }
}

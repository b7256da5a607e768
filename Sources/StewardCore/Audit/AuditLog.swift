import StewardStore

/// Reading the audit trail: for administrators of either kind, since it
/// records both connection and user changes.
public struct AuditLog: Sendable {
    let store: any RegistryStore

    public init(store: any RegistryStore) { self.store = store }

    /// Events newest first.
    public func list(_ filter: AuditFilter, page: PageRequest, caller: Caller) throws(DomainError) -> Page<AuditEvent> {
        guard caller.holds(.applicationAdmin) || caller.holds(.userAdmin) else {
            throw DomainError(.permissionDenied, "\(caller) may not read the audit trail: APPLICATION_ADMIN or USER_ADMIN is required")
        }
        return try storeCall { () throws(StoreError) in try store.listAuditEvents(filter, page: page) }
    }
}

/// The audit trail: the public methods of both stores, and the append each
/// store's write path makes before COMMIT (the SQL is in AuditQueries).
extension SQLTransactionStore {
    @discardableResult
    public func appendAuditEvent(_ event: NewAuditEvent) throws(StoreError) -> AuditEvent {
        // An event of its own: it never carries a call's pending event.
        try sqlWrite(recordingCallEvent: false) { session in try AuditQueries.insert(event, in: session) }
    }

    /// Appends `event` in the transaction `session` has open: each store's
    /// write path commits a call's event (``CallAuditEvent``) with its change.
    @discardableResult
    static func insertAuditEvent(_ event: NewAuditEvent, in session: Session) throws -> AuditEvent {
        try AuditQueries.insert(event, in: session)
    }

    public func listAuditEvents(_ filter: AuditFilter, page: PageRequest) throws(StoreError) -> Page<AuditEvent> {
        try sqlRead { session in try AuditQueries.list(filter, page: page, in: session) }
    }
}

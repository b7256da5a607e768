import StewardWire

extension SQLiteRegistryStore {
    @discardableResult
    public func appendAuditEvent(_ event: NewAuditEvent) throws(StoreError) -> AuditEvent {
        var event = event
        event.at = StoreTime.normalized(event.at)
        let stored = event
        // An event of its own: it never carries a call's pending event.
        let id = try write(recordingCallEvent: false) { database in try Self.insertAuditEvent(stored, in: database) }
        return AuditEvent(id: id, event: stored)
    }

    /// Appends `event` in the transaction `database` has open; returns its id.
    static func insertAuditEvent(_ event: NewAuditEvent, in database: SQLiteDatabase) throws -> Int64 {
        try database.run(
            """
            INSERT INTO audit_events (at, uid, user_name, method, target, connection_key,
                status_code, message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, StoreTime.microseconds(StoreTime.normalized(event.at)), event.uid, event.userName, event.method,
            event.target, event.connectionKey, event.status.rawValue, event.message)
        return database.lastInsertRowID
    }

    public func listAuditEvents(_ filter: AuditFilter, page: PageRequest) throws(StoreError)
        -> Page<AuditEvent>
    {
        let query = try AuditQuery(filter, page: page, dialect: .sqlite)
        let events = try read { database in
            try database.query(query.statement.sql, values: query.statement.parameters) { row in
                AuditEvent(
                    id: row.int64(0),
                    event: NewAuditEvent(
                        at: StoreTime.date(row.int64(1)), uid: try row.uid(2),
                        userName: row.optionalText(3), method: row.text(4), target: row.optionalText(5),
                        connectionKey: row.optionalText(6),
                        status: StatusCode(rawValue: Int32(truncatingIfNeeded: row.int64(7))),
                        message: row.text(8)))
            }
        }
        return query.page(of: events)
    }
}

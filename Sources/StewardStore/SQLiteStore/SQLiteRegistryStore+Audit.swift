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
        // The WHERE clause is assembled from fixed fragments; every value is
        // a bound parameter.
        var conditions: [String] = []
        var values: [any SQLiteBindable] = []
        func require(_ condition: String, _ value: (any SQLiteBindable)? = nil) {
            conditions.append(condition)
            if let value { values.append(value) }
        }
        if let from = filter.from { require("at >= ?", StoreTime.microseconds(from)) }
        if let until = filter.until { require("at < ?", StoreTime.microseconds(until)) }
        if let uid = filter.uid { require("uid = ?", uid) }
        if let userName = filter.userName { require("user_name = ?", userName) }
        if let connectionKey = filter.connectionKey { require("connection_key = ?", connectionKey) }
        if let method = filter.method { require("method = ?", method) }
        switch filter.outcome {
        case nil: break
        case .succeeded: require("status_code = 0")
        case .failed: require("status_code <> 0")
        case .status(let code): require("status_code = ?", code.rawValue)
        case .denied:
            require("status_code IN (\(StatusCode.permissionDenied.rawValue), \(StatusCode.unauthenticated.rawValue))")
        }
        if let token = page.token {
            let position = try PageToken.decode(token, kind: "audit", count: 1)[0]
            guard let before = Int64(position) else {
                throw StoreError(.invalidArgument, "the page token is not one this list issued")
            }
            require("id < ?", before)
        }
        let size = page.effectiveSize
        values.append(size + 1)
        let sql = """
            SELECT id, at, uid, user_name, method, target, connection_key, status_code, message
            FROM audit_events
            WHERE \(conditions.isEmpty ? "1" : conditions.joined(separator: " AND "))
            ORDER BY id DESC LIMIT ?
            """
        let boundValues = values
        let events = try read { database in
            try database.query(sql, values: boundValues) { row in
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
        let items = Array(events.prefix(size))
        let next = events.count > size
            ? PageToken(kind: "audit", position: [String(items[items.count - 1].id)]).encoded : nil
        return Page(items: items, nextPageToken: next)
    }
}

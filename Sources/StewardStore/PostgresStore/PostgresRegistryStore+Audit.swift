import Foundation
import StewardPostgres
import StewardWire

extension PostgresRegistryStore {
    /// Append-only (triggers refuse UPDATE, DELETE and TRUNCATE). Ids come
    /// from an identity column; with several daemons appending at once an
    /// id may commit after a larger one, so a page that was read while an
    /// event was in flight can miss it: ids order events, they are not a
    /// commit log.
    ///
    /// The event's time is the database's (schema version 3 stamps it in a
    /// trigger), not `event.at`: in shared mode no daemon's clock, and no
    /// writer of the table, decides when an event happened. The stored
    /// time is returned.
    @discardableResult
    public func appendAuditEvent(_ event: NewAuditEvent) throws(StoreError) -> AuditEvent {
        // An event of its own: it never carries a call's pending event.
        let (id, at) = try write(recordingCallEvent: false) { session in try Self.insertAuditEvent(event, in: session) }
        var stored = event
        stored.at = at
        return AuditEvent(id: id, event: stored)
    }

    /// Appends `event` in the transaction `session` has open; returns its id and stored time.
    static func insertAuditEvent(_ event: NewAuditEvent, in session: PostgresSession) throws -> (Int64, Date) {
        let rows = try session.query(
            """
            INSERT INTO audit_events (uid, user_name, method, target, connection_key, status_code, message)
            VALUES ($1::bigint, $2::text, $3::text, $4::text, $5::text, $6::integer, $7::text)
            RETURNING id, at
            """, event.uid, event.userName, event.method, event.target, event.connectionKey,
            event.status.rawValue, event.message)
        return (try rows[0].int64Value("id"), try rows[0].dateValue("at"))
    }

    public func listAuditEvents(_ filter: AuditFilter, page: PageRequest) throws(StoreError)
        -> Page<AuditEvent>
    {
        let query = try AuditQuery(filter, page: page, dialect: .postgres)
        let events = try read { session in
            try session.query(query.statement.sql, values: query.statement.parameters).map { row in
                AuditEvent(
                    id: try row.int64Value("id"),
                    event: NewAuditEvent(
                        at: try row.dateValue("at"), uid: try row.uidValue("uid"),
                        userName: try row.optionalTextValue("user_name"), method: try row.textValue("method"),
                        target: try row.optionalTextValue("target"),
                        connectionKey: try row.optionalTextValue("connection_key"),
                        status: StatusCode(rawValue: Int32(truncatingIfNeeded: try row.int64Value("status_code"))),
                        message: try row.textValue("message")))
            }
        }
        return query.page(of: events)
    }
}

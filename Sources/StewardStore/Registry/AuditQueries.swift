import Foundation
import StewardWire

/// The audit trail (`audit_events`), written once for both backends
/// (``RegistrySQLSession``). Append-only: the schema refuses UPDATE and
/// DELETE (and, on PostgreSQL, TRUNCATE).
enum AuditQueries {
    /// Appends `event` in the open transaction; returns it as stored.
    ///
    /// The stored time is the one read back: in the shared registry a
    /// trigger stamps the database's own clock over `event.at`, so that no
    /// daemon's clock decides when an event happened; a SQLite file has one
    /// writer, whose clock it keeps. Ids come from the schema; with several
    /// daemons appending at once an id may commit after a larger one, so
    /// ids order events, they are not a commit log.
    static func insert(_ event: NewAuditEvent, in session: some RegistrySQLSession) throws -> AuditEvent {
        let stored = try session.query({ sql in
            let values = [
                sql.bind(StoreTime.microseconds(StoreTime.normalized(event.at))), sql.bind(event.uid),
                sql.bind(event.userName), sql.bind(event.method), sql.bind(event.target), sql.bind(event.connectionKey),
                sql.bind(.integer(Int64(event.status.rawValue)), as: .integer), sql.bind(event.message),
            ]
            return """
                INSERT INTO audit_events (at, uid, user_name, method, target, connection_key, status_code, message)
                VALUES (\(values.joined(separator: ", ")))
                RETURNING id, at
                """
        }, as: { row in (id: try row.int64(0), at: try row.date(1)) })
        guard let first = stored.first else { throw StoreError(.io, "the registry store failed", detail: "no audit id returned") }
        var appended = event
        appended.at = first.at
        return AuditEvent(id: first.id, event: appended)
    }

    /// Events newest first, as ``AuditQuery`` selects them.
    static func list(_ filter: AuditFilter, page: PageRequest, in session: some RegistrySQLSession) throws -> Page<AuditEvent> {
        let query = try AuditQuery(filter, page: page, dialect: session.dialect)
        let events = try session.query(query.statement) { row in
            AuditEvent(
                id: try row.int64(0),
                event: NewAuditEvent(
                    at: try row.date(1), uid: try row.uid(2), userName: try row.optionalText(3), method: try row.text(4),
                    target: try row.optionalText(5), connectionKey: try row.optionalText(6),
                    status: StatusCode(rawValue: Int32(truncatingIfNeeded: try row.int64(7))), message: try row.text(8)))
        }
        return query.page(of: events)
    }
}

import Foundation
import StewardWire

/// The one audit-list query both stores run: the WHERE clause for an
/// ``AuditFilter`` and a page position, spelled in a ``SQLDialect``, and the
/// page made of the rows it returns.
struct AuditQuery: Sendable {
    static let tokenKind = "audit"

    let statement: SQLStatement
    /// Items the page holds; the statement asks for one more, to learn
    /// whether a next page exists.
    let pageSize: Int

    /// Throws `invalidArgument` for a page token this list did not issue.
    init(_ filter: AuditFilter, page: PageRequest, dialect: SQLDialect) throws(StoreError) {
        var sql = SQLConditions(dialect)
        if let from = filter.from { sql.require("at >= \(sql.bind(StoreTime.microseconds(from)))") }
        if let until = filter.until { sql.require("at < \(sql.bind(StoreTime.microseconds(until)))") }
        if let uid = filter.uid { sql.require("uid = \(sql.bind(Int64(uid)))") }
        if let userName = filter.userName { sql.require("user_name = \(sql.bind(userName))") }
        if let key = filter.connectionKey { sql.require("connection_key = \(sql.bind(key))") }
        if let method = filter.method { sql.require("method = \(sql.bind(method))") }
        switch filter.outcome {
        case nil: break
        case .succeeded: sql.require("status_code = 0")
        case .failed: sql.require("status_code <> 0")
        case .status(let code):
            sql.require("status_code = \(sql.bind(.integer(Int64(code.rawValue)), as: .integer))")
        case .denied:
            sql.require("status_code IN (\(StatusCode.permissionDenied.rawValue), \(StatusCode.unauthenticated.rawValue))")
        }
        if let token = page.token {
            let position = try PageToken.decode(token, kind: Self.tokenKind, count: 1)[0]
            guard let before = Int64(position) else {
                throw StoreError(.invalidArgument, "the page token is not one this list issued")
            }
            sql.require("id < \(sql.bind(before))")
        }
        pageSize = page.effectiveSize
        let limit = sql.bind(Int64(pageSize + 1))
        statement = SQLStatement(
            sql: """
                SELECT id, at, uid, user_name, method, target, connection_key, status_code, message
                FROM audit_events
                WHERE \(sql.clause)
                ORDER BY id DESC LIMIT \(limit)
                """,
            parameters: sql.parameters)
    }

    /// The page made of the rows the statement returned, newest first.
    func page(of events: [AuditEvent]) -> Page<AuditEvent> {
        Page(fetched: events, size: pageSize, tokenKind: Self.tokenKind) { [String($0.id)] }
    }
}

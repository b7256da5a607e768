import Foundation
import Testing
import StewardWire
@testable import StewardStore

/// The audit list's one query, spelled in each dialect: same conditions, same
/// parameters in the same order; only placeholders and literals differ.
@Suite("Audit query over two dialects")
struct AuditQueryTests {
    let filter = AuditFilter(
        from: Date(timeIntervalSince1970: 10), uid: 1000, userName: "ann", method: "/steward.v1.X/Y",
        outcome: .status(.permissionDenied))

    @Test("SQLite binds ? in order, PostgreSQL numbers and casts, parameters identical")
    func spelledPerDialect() throws {
        let sqlite = try AuditQuery(filter, page: PageRequest(size: 5), dialect: .sqlite).statement
        let postgres = try AuditQuery(filter, page: PageRequest(size: 5), dialect: .postgres).statement
        #expect(sqlite.parameters == postgres.parameters)
        #expect(sqlite.parameters == [
            .integer(10_000_000), .integer(1000), .text("ann"), .text("/steward.v1.X/Y"),
            .integer(Int64(StatusCode.permissionDenied.rawValue)), .integer(6),
        ])
        #expect(sqlite.sql.contains("WHERE at >= ? AND uid = ? AND user_name = ? AND method = ? AND status_code = ?"))
        #expect(sqlite.sql.hasSuffix("ORDER BY id DESC LIMIT ?"))
        #expect(postgres.sql.contains(
            "WHERE at >= $1::bigint AND uid = $2::bigint AND user_name = $3::text AND method = $4::text"
                + " AND status_code = $5::integer"))
        #expect(postgres.sql.hasSuffix("ORDER BY id DESC LIMIT $6::bigint"))
    }

    @Test("no filter is the dialect's true")
    func emptyFilter() throws {
        #expect(try AuditQuery(AuditFilter(), page: PageRequest(), dialect: .sqlite).statement.sql.contains("WHERE 1\n"))
        #expect(try AuditQuery(AuditFilter(), page: PageRequest(), dialect: .postgres).statement.sql.contains("WHERE true\n"))
    }

    @Test("a foreign page token is refused")
    func foreignToken() {
        #expect(throws: StoreError.self) {
            try AuditQuery(AuditFilter(), page: PageRequest(token: "bm90LWEtdG9rZW4"), dialect: .sqlite)
        }
    }
}

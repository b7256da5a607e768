import Foundation
import PostgresTestSupport
import StewardStore
import StewardWire
import Testing

/// In the shared registry the database, not a daemon's clock or a writer's
/// value, decides when an audit event happened.
@Suite("Shared registry: the database stamps audit times", .timeLimit(.minutes(2)))
struct AuditTimeTests {
    @Test("The daemon's clock and the event's own time are ignored; a value written by SQL is overwritten",
          arguments: TestPostgres.supported)
    func databaseStampsTime(server: TestPostgres) throws {
        // A daemon whose clock is decades off.
        let registry = try RegistryTestDatabase(on: server, clock: { Date(timeIntervalSince1970: 1_000_000) })
        let before = Date()
        let appended = try registry.store.appendAuditEvent(
            NewAuditEvent(at: Date(timeIntervalSince1970: 42), uid: 1001, method: "/steward.v1.Users/Create", status: .ok))
        let after = Date()
        // The test runs on the server's host: one clock, give or take the round trip.
        #expect(appended.at >= before - 5 && appended.at <= after + 5, "stored \(appended.at)")
        let listed = try registry.store.listAuditEvents(AuditFilter(), page: PageRequest(size: 10)).items
        #expect(listed.map(\.at) == [appended.at])

        try registry.sql(
            """
            INSERT INTO steward_registry.audit_events (at, uid, method, status_code, message)
            VALUES (42, 1001, '/forged', 0, '')
            """)
        let forged = try registry.store.listAuditEvents(AuditFilter(method: "/forged"), page: PageRequest(size: 1)).items
        #expect(forged.count == 1)
        #expect(forged.first.map { $0.at > before - 5 } == true, "the writer's time 42 was kept")
    }
}

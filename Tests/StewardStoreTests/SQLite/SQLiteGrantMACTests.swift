import Foundation
import StewardStore
import StewardWire
import Testing

/// The embedded store reads permissions through the same MAC check as the
/// shared registry: a row the store did not write grants nothing.
@Suite("SQLite store: permission rows carry a MAC")
struct SQLiteGrantMACTests {
    @Test("A row written by SQL without a MAC, or with another user's MAC, grants nothing and is reported once")
    func unverifiedRowsIgnored() throws {
        let test = try SQLiteTestStore()
        let store = test.store
        try store.createUser(name: "admin", uid: 5001, permissions: [.applicationAdmin, .userAdmin])
        try store.createUser(name: "mallory", uid: 5002, permissions: [])
        #expect(test.rawError(
            "INSERT INTO user_permissions (user_id, permission) SELECT id, 'USER_ADMIN' FROM users WHERE name = 'mallory'"
        ) == nil)
        #expect(test.rawError(
            """
            INSERT INTO user_permissions (user_id, permission, mac)
            SELECT m.id, p.permission, p.mac FROM users AS m, user_permissions AS p JOIN users AS a ON a.id = p.user_id
            WHERE m.name = 'mallory' AND a.name = 'admin' AND p.permission = 'APPLICATION_ADMIN'
            """) == nil)
        #expect(try test.raw("SELECT count(*) FROM user_permissions") { $0.int(0) } == [4])

        #expect(try store.user(uid: 5002)?.permissions == [])
        #expect(try store.user(name: "mallory").permissions == [])
        #expect(try store.user(uid: 5001)?.permissions == [.applicationAdmin, .userAdmin])
        let events = try store.listAuditEvents(
            AuditFilter(method: "stewardd/RegistryIntegrity"), page: PageRequest(size: 10)
        ).items
        #expect(events.count == 2, "one event per row, however many lookups")
        #expect(events.allSatisfy { $0.uid == 5002 && $0.status == .dataLoss })

        // A grant by the store repairs the row.
        #expect(try store.grant(.userAdmin, toUser: "mallory").permissions == [.userAdmin])
        #expect(try store.user(uid: 5002)?.permissions == [.userAdmin])
    }
}

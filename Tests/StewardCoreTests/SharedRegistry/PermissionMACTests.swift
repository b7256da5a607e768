import Foundation
import PostgresTestSupport
@testable import StewardCore
import StewardPostgres
import StewardStore
import Testing

/// A writer of the shared registry's tables who lacks the registry key
/// cannot make an administrator: permission rows carry a MAC, and the
/// caller lookup ignores a row whose MAC does not verify.
@Suite("Shared registry: permission rows carry a MAC", .timeLimit(.minutes(2)))
struct PermissionMACTests {
    static let integrityMethod = "stewardd/RegistryIntegrity"

    func integrityEvents(_ store: any RegistryStore) throws -> [AuditEvent] {
        try store.listAuditEvents(AuditFilter(method: Self.integrityMethod), page: PageRequest(size: 50)).items
    }

    @Test("A permission row inserted by SQL without a MAC, or with a made-up one, grants nothing",
          arguments: TestPostgres.supported)
    func forgedRowIgnored(server: TestPostgres) throws {
        let registry = try RegistryTestDatabase(on: server)
        let callers = RegistryCallerDirectory(store: registry.store, daemonUID: 990_003)
        try registry.store.createUser(name: "mallory", uid: 4101, permissions: [])
        #expect(try callers.identify(uid: 4101).permissions.isEmpty)

        try registry.sql(
            """
            INSERT INTO steward_registry.user_permissions (user_id, permission)
            SELECT id, 'USER_ADMIN' FROM steward_registry.users WHERE name = 'mallory'
            """)
        try registry.sql(
            """
            INSERT INTO steward_registry.user_permissions (user_id, permission, mac)
            SELECT id, 'APPLICATION_ADMIN', sha256('made up'::bytea) FROM steward_registry.users WHERE name = 'mallory'
            """)
        let caller = try callers.identify(uid: 4101)
        #expect(caller.isKnown && caller.userName == "mallory")
        #expect(caller.permissions.isEmpty)
        #expect(throws: DomainError.self) { try caller.require(.userAdmin, to: "create users") }
        #expect(try registry.store.user(name: "mallory").permissions.isEmpty)

        // Reported once per row, however often the uid calls.
        _ = try callers.identify(uid: 4101)
        let events = try integrityEvents(registry.store)
        #expect(events.count == 2)
        #expect(Set(events.map(\.message).map { $0.contains("USER_ADMIN") }) == [true, false])
        #expect(events.allSatisfy { $0.uid == 4101 && $0.target == "mallory" && $0.status == .dataLoss })
        #expect(events.allSatisfy { $0.message.contains("does not verify under the registry key") })

        // A grant by a daemon that holds the key replaces the forged row's MAC.
        try registry.store.grant(.userAdmin, toUser: "mallory")
        #expect(try callers.identify(uid: 4101).permissions == [.userAdmin])
    }

    @Test("A MAC copied from another user's row does not verify; nor does a real administrator's row after its uid is rewritten",
          arguments: TestPostgres.supported)
    func copiedMACIgnored(server: TestPostgres) throws {
        let registry = try RegistryTestDatabase(on: server)
        let callers = RegistryCallerDirectory(store: registry.store, daemonUID: 990_003)
        try registry.store.createUser(name: "admin", uid: 4102, permissions: [.applicationAdmin, .userAdmin])
        try registry.store.createUser(name: "mallory", uid: 4101, permissions: [])
        #expect(try callers.identify(uid: 4102).permissions == [.applicationAdmin, .userAdmin])

        try registry.sql(
            """
            INSERT INTO steward_registry.user_permissions (user_id, permission, mac)
            SELECT m.id, p.permission, p.mac
            FROM steward_registry.users AS m, steward_registry.user_permissions AS p
            JOIN steward_registry.users AS a ON a.id = p.user_id
            WHERE m.name = 'mallory' AND a.name = 'admin'
            """)
        #expect(try registry.sql("SELECT count(*)::int AS n FROM steward_registry.user_permissions").rows[0].int("n") == 4)
        #expect(try callers.identify(uid: 4101).permissions.isEmpty)
        #expect(try callers.identify(uid: 4102).permissions == [.applicationAdmin, .userAdmin])

        // Taking over the administrator's user by giving it one's own uid.
        try registry.sql("DELETE FROM steward_registry.users WHERE name = 'mallory'")
        try registry.sql("UPDATE steward_registry.users SET uid = 4101 WHERE name = 'admin'")
        let takeover = try callers.identify(uid: 4101)
        #expect(takeover.userName == "admin")
        #expect(takeover.permissions.isEmpty)
    }
}

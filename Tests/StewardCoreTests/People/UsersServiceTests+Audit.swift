import StewardModel
import Foundation
@testable import StewardCore
import StewardPostgres
import StewardStore
import StewardWire
import Testing

/// What the audit trail keeps of users' calls, and who may read it.
extension UsersServiceTests {
    @Test("The audit trail clamps text a caller controls: a 1 MB display name in a denied Register is stored as at most 256 characters")
    func auditClampsTarget() async throws {
        let plain = try user("plain", uid: 2001)
        let connections = ConnectionsService(store: store, prober: ScriptedProber())
        let huge = String(repeating: "n", count: 1 << 20)
        let settings = ConnectionSettings(
            displayName: huge, deploymentType: .selfManaged, host: "db.example.com", port: 5432,
            stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward", sslMode: .prefer)
        let denied = await #expect(throws: DomainError.self) {
            _ = try await connections.register(
                displayName: huge, request: (settings, "pw"), caller: plain, deadline: .after(milliseconds: 1000))
        }
        #expect(denied?.code == .permissionDenied)
        // The same for a user name in a denied Create.
        let hugeUser = String(repeating: "é", count: 1 << 19)
        let create = #expect(throws: DomainError.self) {
            _ = try service.create(name: hugeUser, uid: 2099, permissions: [], caller: plain)
        }
        #expect(create?.code == .permissionDenied)

        let register = try #require(try audit(AuditFilter(method: "/steward.v1.Connections/Register")).first)
        #expect(register.status == .permissionDenied && register.uid == 2001)
        let target = try #require(register.target)
        #expect(target.count <= 256, "\(target.count) characters stored")
        #expect(target.count == 256 && target.hasPrefix(String(repeating: "n", count: 255)) && target.hasSuffix("…"))
        let key = try #require(register.connectionKey)
        #expect(key.count <= 256, "\(key.count) characters stored")
        #expect(register.message.count <= 4096)

        let created = try #require(try audit(AuditFilter(method: "/steward.v1.Users/Create")).first)
        let userTarget = try #require(created.target)
        #expect(userTarget.count == 256 && userTarget.hasPrefix(String(repeating: "é", count: 255)), "\(userTarget.count) characters stored")
    }

    // MARK: Reading the audit trail

    static let readers: [(Set<Permission>, Bool)] = [
        ([], false), ([.applicationAdmin], true), ([.userAdmin], true), ([.applicationAdmin, .userAdmin], true),
    ]

    @Test("The audit trail is for APPLICATION_ADMIN or USER_ADMIN", arguments: readers)
    func auditLog(permissions: Set<Permission>, allowed: Bool) throws {
        let reader = try user("reader", uid: 2020, permissions)
        _ = try? service.create(name: "zoe", uid: 2099, permissions: [], caller: Caller(uid: 3000, userName: "mallory"))
        let log = AuditLog(store: store)
        if allowed {
            let events = try log.list(AuditFilter(), page: PageRequest(), caller: reader).items
            #expect(events.map(\.uid) == [3000])
            #expect(events.first?.status == .permissionDenied && events.first?.userName == "mallory")
            #expect(try log.list(AuditFilter(uid: 4000), page: PageRequest(), caller: reader).items.isEmpty)
        } else {
            let error = #expect(throws: DomainError.self) { _ = try log.list(AuditFilter(), page: PageRequest(), caller: reader) }
            #expect(error == DomainError(
                .permissionDenied,
                "user \"reader\" (uid 2020) may not read the audit trail: APPLICATION_ADMIN or USER_ADMIN is required"))
        }
        #expect(try log.list(AuditFilter(), page: PageRequest(), caller: root).items.count == 1)
    }
}

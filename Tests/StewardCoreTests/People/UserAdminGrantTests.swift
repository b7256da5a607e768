import Foundation
@testable import StewardCore
import StewardModel
import StewardStore
import StewardWire
import Testing

/// A USER_ADMIN hands on only the permissions it holds: USER_ADMIN alone
/// must not be a path to APPLICATION_ADMIN.
@Suite("USER_ADMIN grants only what it holds (SQLite store)", .timeLimit(.minutes(2)))
final class UserAdminGrantTests {
    let directory: String
    let state: StateDirectory
    let callers: RegistryCallerDirectory
    let service: UsersService

    init() throws {
        directory = NSTemporaryDirectory() + "steward-grant-rule-\(UUID().uuidString)"
        state = try StateDirectory.open(at: directory)
        callers = RegistryCallerDirectory(store: state.store, daemonUID: 990_002)
        service = UsersService(store: state.store, roles: ScriptedLoginRoles())
    }

    deinit {
        state.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var store: any RegistryStore { state.store }

    func caller(_ name: String, uid: UInt32, _ permissions: Set<Permission>) throws -> Caller {
        try store.createUser(name: name, uid: uid, permissions: permissions)
        return try callers.identify(uid: uid)
    }

    @Test("A USER_ADMIN without APPLICATION_ADMIN cannot grant it: PERMISSION_DENIED saying why, audited, nothing granted")
    func grantRefused() throws {
        let admin = try caller("ua", uid: 3101, [.userAdmin])
        try store.createUser(name: "friend", uid: 3102, permissions: [])
        let error = #expect(throws: DomainError.self) {
            _ = try service.grant(.applicationAdmin, to: "friend", caller: admin)
        }
        #expect(error == DomainError(
            .permissionDenied,
            "user \"ua\" (uid 3101) may not grant APPLICATION_ADMIN: a user admin grants only permissions it "
                + "holds itself, and user \"ua\" (uid 3101) does not hold APPLICATION_ADMIN"))
        // Nor to itself.
        #expect(throws: DomainError.self) { _ = try service.grant(.applicationAdmin, to: "ua", caller: admin) }
        #expect(try callers.identify(uid: 3102).permissions.isEmpty)
        #expect(try callers.identify(uid: 3101).permissions == [.userAdmin])

        let events = try store.listAuditEvents(AuditFilter(outcome: .denied), page: PageRequest(size: 10)).items
        #expect(events.count == 2)
        #expect(events.allSatisfy { $0.method == "/steward.v1.Users/Grant" && $0.uid == 3101 })
        #expect(events.allSatisfy { $0.message.contains("does not hold APPLICATION_ADMIN") })
    }

    @Test("Create with a permission the USER_ADMIN does not hold is refused and creates no user")
    func createRefused() throws {
        let admin = try caller("ua", uid: 3101, [.userAdmin])
        let error = #expect(throws: DomainError.self) {
            _ = try service.create(name: "newbie", uid: 3103, permissions: [.applicationAdmin, .userAdmin], caller: admin)
        }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message.contains("may not create a user with APPLICATION_ADMIN") == true)
        #expect(try store.user(uid: 3103) == nil)
        let events = try store.listAuditEvents(AuditFilter(), page: PageRequest(size: 10)).items
        #expect(events.map(\.method) == ["/steward.v1.Users/Create"])
        #expect(events.first?.status == .permissionDenied)
    }

    @Test("What the caller holds it may grant; root and the daemon's uid hold everything")
    func heldPermissionsGranted() throws {
        let admin = try caller("ua", uid: 3101, [.userAdmin])
        #expect(try service.create(name: "deputy", uid: 3104, permissions: [.userAdmin], caller: admin).permissions
            == [.userAdmin])
        let both = try caller("both", uid: 3105, [.userAdmin, .applicationAdmin])
        #expect(try service.grant(.applicationAdmin, to: "deputy", caller: both).permissions
            == [.userAdmin, .applicationAdmin])
        for root in [Caller.administrator(uid: 0), try callers.identify(uid: 990_002)] {
            #expect(try service.create(
                name: "made\(root.uid)", uid: 3200 + (root.uid % 7), permissions: [.applicationAdmin], caller: root
            ).permissions == [.applicationAdmin])
        }
    }
}

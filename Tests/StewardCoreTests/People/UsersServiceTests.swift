import Foundation
@testable import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import StewardTestSupport
import StewardWire
import Testing

@Suite("Users service (SQLite store, fake login-role probe)", .timeLimit(.minutes(2)))
final class UsersServiceTests {
    let directory: String
    let state: StateDirectory
    let daemonUID: UInt32 = 990_001
    let callers: RegistryCallerDirectory
    let service: UsersService
    let root = Caller.administrator(uid: 0)

    init() throws {
        directory = NSTemporaryDirectory() + "steward-people-\(UUID().uuidString)"
        state = try StateDirectory.open(at: directory)
        callers = RegistryCallerDirectory(store: state.store, daemonUID: daemonUID)
        service = UsersService(store: state.store, roles: ScriptedLoginRoles())
    }

    deinit {
        state.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var store: any RegistryStore { state.store }

    /// Creates a Steward user in the store and returns the caller its uid is.
    @discardableResult
    func user(_ name: String, uid: UInt32, _ permissions: Set<Permission> = []) throws -> Caller {
        try store.createUser(name: name, uid: uid, permissions: permissions)
        return try callers.identify(uid: uid)
    }

    /// Registers a connection (display name = key, password "pw-<key>") and
    /// walks it to `target` along legal transitions, as the store tests do.
    func connection(_ key: String, in target: LifecycleState = .registered) throws {
        let record = try store.createConnection(
            key: key, settings: ConnectionWalk.settings(key: key, governed: ["sales"]), password: Secret("pw-\(key)"), createdBy: 0,
            walkedTo: target)
        #expect(record.state == target)
    }

    func mapping(_ user: String, _ connection: String?, _ identity: Identity) -> IdentityMapping {
        IdentityMapping(userName: user, connectionKey: connection, identity: identity)
    }

    func request(_ user: String, _ connection: String?, _ kind: Identity.Kind?, _ value: String = "") -> MappingRequest {
        MappingRequest(userName: user, connectionKey: connection, kind: kind, value: value)
    }

    /// Audit events, newest first.
    func audit(_ filter: AuditFilter = AuditFilter()) throws -> [AuditEvent] {
        try store.listAuditEvents(filter, page: PageRequest(size: PageRequest.maximumSize)).items
    }

    func allMappings() throws -> [IdentityMapping] { try store.listMappings(MappingFilter()) }

    // MARK: Who may manage users

    @Test("Create, grant and revoke need USER_ADMIN; each denial is an audit event naming who, what and on whom")
    func userAdminRequired() throws {
        let plain = try user("plain", uid: 2001)
        try user("target", uid: 2002)
        let create = #expect(throws: DomainError.self) {
            _ = try service.create(name: "zoe", uid: 2099, permissions: [.userAdmin], caller: plain)
        }
        #expect(create == DomainError(.permissionDenied, "user \"plain\" (uid 2001) may not create users: USER_ADMIN is required"))
        let grant = #expect(throws: DomainError.self) { _ = try service.grant(.userAdmin, to: "plain", caller: plain) }
        #expect(grant?.code == .permissionDenied)
        let revoke = #expect(throws: DomainError.self) { _ = try service.revoke(.applicationAdmin, from: "target", caller: plain) }
        #expect(revoke?.code == .permissionDenied)

        // Nothing changed.
        #expect(try store.user(uid: 2099) == nil)
        #expect(try callers.identify(uid: 2001).permissions.isEmpty)

        let events = try audit().reversed().map { $0 }
        #expect(events.count == 3)
        #expect(events.map(\.method) == ["/steward.v1.Users/Create", "/steward.v1.Users/Grant", "/steward.v1.Users/Revoke"])
        #expect(events.map(\.target) == ["zoe", "plain", "target"])
        for event in events {
            #expect(event.uid == 2001)
            #expect(event.userName == "plain")
            #expect(event.status == .permissionDenied)
            #expect(event.message.contains("USER_ADMIN is required"))
        }
        #expect(try audit(AuditFilter(outcome: .denied)).count == 3)
    }

    @Test("APPLICATION_ADMIN alone cannot create users nor grant itself USER_ADMIN")
    func applicationAdminIsNotUserAdmin() throws {
        let appAdmin = try user("app", uid: 2010, [.applicationAdmin])
        #expect(appAdmin.permissions == [.applicationAdmin])
        let create = #expect(throws: DomainError.self) {
            _ = try service.create(name: "zoe", uid: 2099, permissions: [], caller: appAdmin)
        }
        #expect(create?.code == .permissionDenied)
        let grant = #expect(throws: DomainError.self) { _ = try service.grant(.userAdmin, to: "app", caller: appAdmin) }
        #expect(grant?.code == .permissionDenied)
        #expect(try callers.identify(uid: 2010).permissions == [.applicationAdmin])
        #expect(try store.listUsers(page: PageRequest()).items.map(\.name) == ["app"])
    }

    @Test("The permission is checked before the input: a plain user learns nothing about a bad request")
    func permissionBeforeInput() throws {
        let plain = try user("plain", uid: 2001)
        let error = #expect(throws: DomainError.self) {
            _ = try service.create(name: "9 bad", uid: UInt32.max, permissions: [nil], caller: plain)
        }
        #expect(error?.code == .permissionDenied)
    }

    @Test("Create refuses a bad name, uid 4294967295 and an unknown permission, creating nothing")
    func createRefusals() throws {
        let badName = #expect(throws: DomainError.self) {
            _ = try service.create(name: "9lives", uid: 2001, permissions: [], caller: root)
        }
        #expect(badName == DomainError(.invalidArgument, "name: \"9lives\" must start with a letter or '_'"))
        let reserved = #expect(throws: DomainError.self) {
            _ = try service.create(name: "pg_alice", uid: 2001, permissions: [], caller: root)
        }
        #expect(reserved?.code == .invalidArgument)
        let noUID = #expect(throws: DomainError.self) {
            _ = try service.create(name: "alice", uid: 4_294_967_295, permissions: [], caller: root)
        }
        #expect(noUID == DomainError(.invalidArgument, "uid: 4294967295 is not a uid a process can have"))
        let unknownPermission = #expect(throws: DomainError.self) {
            _ = try service.create(name: "alice", uid: 2001, permissions: [.userAdmin, nil], caller: root)
        }
        #expect(unknownPermission == DomainError(.invalidArgument, "permissions: must be APPLICATION_ADMIN or USER_ADMIN"))
        #expect(try store.listUsers(page: PageRequest()).items.isEmpty)

        // The largest real uid is fine; a taken name or uid is ALREADY_EXISTS.
        let created = try service.create(name: "alice", uid: 4_294_967_294, permissions: [.applicationAdmin], caller: root)
        #expect(created.name == "alice" && created.uid == 4_294_967_294 && created.permissions == [.applicationAdmin])
        let sameName = #expect(throws: DomainError.self) {
            _ = try service.create(name: "alice", uid: 2002, permissions: [], caller: root)
        }
        #expect(sameName?.code == .alreadyExists)
        let sameUID = #expect(throws: DomainError.self) {
            _ = try service.create(name: "bob", uid: 4_294_967_294, permissions: [], caller: root)
        }
        #expect(sameUID?.code == .alreadyExists)
        #expect(sameUID?.message.contains("\"alice\"") == true)

        let statuses = try audit(AuditFilter(method: "/steward.v1.Users/Create")).reversed().map(\.status)
        #expect(statuses == [.invalidArgument, .invalidArgument, .invalidArgument, .invalidArgument, .ok, .alreadyExists, .alreadyExists])
    }

    @Test("Grant and revoke are idempotent and audited")
    func grantIsIdempotent() throws {
        _ = try service.create(name: "alice", uid: 2001, permissions: [], caller: root)
        let first = try service.grant(.userAdmin, to: "alice", caller: root)
        let second = try service.grant(.userAdmin, to: "alice", caller: root)
        #expect(first.permissions == [.userAdmin])
        #expect(second == first)
        #expect(try service.grant(.applicationAdmin, to: "alice", caller: root).permissions == [.userAdmin, .applicationAdmin])
        #expect(try service.revoke(.userAdmin, from: "alice", caller: root).permissions == [.applicationAdmin])
        #expect(try service.revoke(.userAdmin, from: "alice", caller: root).permissions == [.applicationAdmin])

        let unknownPermission = #expect(throws: DomainError.self) { _ = try service.grant(nil, to: "alice", caller: root) }
        #expect(unknownPermission == DomainError(.invalidArgument, "permission: must be APPLICATION_ADMIN or USER_ADMIN"))
        let nobody = #expect(throws: DomainError.self) { _ = try service.grant(.userAdmin, to: "nobody", caller: root) }
        #expect(nobody?.code == .notFound)

        let grants = try audit(AuditFilter(method: "/steward.v1.Users/Grant")).reversed()
        #expect(grants.map(\.status) == [.ok, .ok, .ok, .invalidArgument, .notFound])
        #expect(grants.first?.uid == 0 && grants.first?.target == "alice")
        #expect(try audit(AuditFilter(method: "/steward.v1.Users/Revoke")).map(\.status) == [.ok, .ok])
    }

    // MARK: Who a uid is

    @Test("Root and the daemon's uid hold every permission, with or without a user record naming them")
    func administrators() throws {
        for uid in [0, daemonUID] {
            #expect(try callers.identify(uid: uid) == Caller(uid: uid, userName: nil, permissions: [.applicationAdmin, .userAdmin]))
        }
        try user("rooty", uid: 0)
        try user("daemon", uid: daemonUID, [.applicationAdmin])
        _ = try service.revoke(.applicationAdmin, from: "daemon", caller: root)
        let rootCaller = try callers.identify(uid: 0)
        #expect(rootCaller.userName == "rooty" && rootCaller.isKnown)
        #expect(rootCaller.permissions == Set(Permission.allCases))
        let daemon = try callers.identify(uid: daemonUID)
        #expect(daemon.userName == "daemon")
        #expect(daemon.permissions == Set(Permission.allCases))
        #expect(DaemonAdministrators(daemonUID: daemonUID).identify(uid: daemonUID).permissions == Set(Permission.allCases))
    }

    @Test("A stored user holds exactly their permissions, and a grant or revoke is seen on the next identify")
    func storedUser() throws {
        let alice = try user("alice", uid: 2001, [.applicationAdmin])
        #expect(alice == Caller(uid: 2001, userName: "alice", permissions: [.applicationAdmin], isKnown: true))
        _ = try service.grant(.userAdmin, to: "alice", caller: root)
        #expect(try callers.identify(uid: 2001).permissions == [.applicationAdmin, .userAdmin])
        _ = try service.revoke(.applicationAdmin, from: "alice", caller: root)
        _ = try service.revoke(.userAdmin, from: "alice", caller: root)
        let none = try callers.identify(uid: 2001)
        #expect(none.permissions.isEmpty && none.isKnown && none.userName == "alice")
    }

    @Test("An unknown uid is not known and holds nothing")
    func unknownUID() throws {
        try user("alice", uid: 2001)
        let stranger = try callers.identify(uid: 2002)
        #expect(stranger == Caller.unknown(uid: 2002))
        #expect(!stranger.isKnown && stranger.permissions.isEmpty && stranger.userName == nil)
    }

    @Test("A store that cannot answer makes the caller UNAVAILABLE, not unknown; root stays an administrator")
    func storeDown() throws {
        try user("alice", uid: 2001)
        state.store.close()
        let error = #expect(throws: DomainError.self) { _ = try callers.identify(uid: 2001) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.hasPrefix("cannot tell who uid 2001 is: ") == true)
        #expect(try callers.identify(uid: 0) == Caller.administrator(uid: 0))
    }

    // MARK: Deleting users

    @Test("Delete needs USER_ADMIN, refuses one's own user, and takes the mappings but not the audit events")
    func deleteUser() throws {
        let admin = try user("admin", uid: 2000, [.userAdmin])
        let plain = try user("plain", uid: 2001, [.applicationAdmin])
        try user("gone", uid: 2002)
        try store.setMapping(IdentityMapping(userName: "gone", connectionKey: nil, identity: .postgresUsername("gone_pg")))

        let denied = #expect(throws: DomainError.self) { try service.delete(name: "gone", caller: plain) }
        #expect(denied?.code == .permissionDenied)
        let own = #expect(throws: DomainError.self) { try service.delete(name: "admin", caller: admin) }
        #expect(own?.code == .failedPrecondition)
        #expect(own?.message.contains("cannot delete their own user") == true)

        try service.delete(name: "gone", caller: admin)
        #expect(try callers.identify(uid: 2002) == Caller.unknown(uid: 2002))
        #expect(try store.listMappings(MappingFilter(userName: "gone")).isEmpty)
        // Its PostgreSQL username is free again.
        try user("next", uid: 2003)
        try store.setMapping(IdentityMapping(userName: "next", connectionKey: nil, identity: .postgresUsername("gone_pg")))
        let missing = #expect(throws: DomainError.self) { try service.delete(name: "gone", caller: admin) }
        #expect(missing?.code == .notFound)

        let events = try store.listAuditEvents(
            AuditFilter(method: "/steward.v1.Users/Delete"), page: PageRequest()).items
        #expect(events.map(\.status) == [.notFound, .ok, .failedPrecondition, .permissionDenied])
        #expect(events.allSatisfy { $0.target != nil })
    }
}

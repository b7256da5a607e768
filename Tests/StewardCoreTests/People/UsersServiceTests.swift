import Foundation
@testable import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import StewardWire
import Synchronization
import Testing

/// A FAKE `LoginRoleProbe`: it answers from a script instead of asking a
/// live PostgreSQL server, so that CheckMappings' own logic (which
/// connections, which roles, how answers become outcomes, how a failing
/// connection is reported) is tested without one. It records every call.
/// The live probe's catalog query is tested against real PostgreSQL 16 and
/// 17 in Tests/StewardPostgresTests/LoginAbilityTests.swift.
final class ScriptedLoginRoles: LoginRoleProbe {
    struct Call: Hashable, Sendable {
        /// The connection's display name, which these tests set to its key.
        var connection: String
        var roles: [String]
        var password: String
    }

    /// By role name: whether it can log in; absent roles do not exist.
    let ability: [String: Bool]
    /// By connection: the error asking it fails with.
    let failures: [String: DomainError]
    private let calls = Mutex<[Call]>([])

    init(ability: [String: Bool] = [:], failures: [String: DomainError] = [:]) {
        self.ability = ability
        self.failures = failures
    }

    var recorded: [Call] { calls.withLock { $0 } }

    func loginAbility(
        of roles: [String], settings: ConnectionSettings, password: String, deadline: Deadline
    ) async throws(DomainError) -> [String: Bool] {
        calls.withLock { $0.append(Call(connection: settings.displayName, roles: roles, password: password)) }
        if let failure = failures[settings.displayName] { throw failure }
        return ability.filter { roles.contains($0.key) }
    }
}

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
        let settings = ConnectionSettings(
            displayName: key, deploymentType: .selfManaged, host: "\(key).example.internal", port: 5432,
            stateDatabase: "steward_state", governedDatabases: ["sales"], username: "steward", sslMode: .prefer)
        var record = try store.createConnection(key: key, settings: settings, password: Secret("pw-\(key)"), createdBy: 0)
        let path: [LifecycleState] =
            switch target {
            case .registered: []
            case .validated: [.validated]
            case .validationFailed: [.validationFailed]
            case .active: [.validated, .active]
            case .unhealthy: [.validated, .active, .unhealthy]
            case .inactive: [.validated, .active, .inactive]
            }
        for next in path {
            record = try store.transitionConnection(
                key: key, expectedRevision: record.revision, change: StateChange(to: next, actor: 0, reason: "test"))
        }
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

    // MARK: Listing mappings

    @Test("A plain user lists only their own mappings; anyone's needs USER_ADMIN")
    func listMappings() throws {
        let alice = try user("alice", uid: 2001)
        let bob = try user("bob", uid: 2002)
        let carol = try user("carol", uid: 2003, [.userAdmin])
        try connection("c1")
        let aliceDefault = mapping("alice", nil, .postgresUsername("alice_pg"))
        let aliceC1 = mapping("alice", "c1", .none)
        let bobDefault = mapping("bob", nil, .unset)
        for each in [aliceDefault, aliceC1, bobDefault] { try store.setMapping(each) }

        #expect(try service.listMappings(MappingFilter(), page: PageRequest(), caller: alice).items == [aliceDefault, aliceC1])
        #expect(try service.listMappings(MappingFilter(userName: "alice"), page: PageRequest(), caller: alice).items == [aliceDefault, aliceC1])
        #expect(try service.listMappings(MappingFilter(scope: .connection("c1")), page: PageRequest(), caller: alice).items == [aliceC1])
        #expect(try service.listMappings(MappingFilter(), page: PageRequest(), caller: bob).items == [bobDefault])

        let others = #expect(throws: DomainError.self) { _ = try service.listMappings(MappingFilter(userName: "bob"), page: PageRequest(), caller: alice).items }
        #expect(others == DomainError(
            .permissionDenied, "user \"alice\" (uid 2001) may list only their own mappings: USER_ADMIN is required for \"bob\"'s"))
        let nameless = #expect(throws: DomainError.self) { _ = try service.listMappings(MappingFilter(), page: PageRequest(), caller: Caller(uid: 3000)).items }
        #expect(nameless?.code == .permissionDenied)

        #expect(try service.listMappings(MappingFilter(), page: PageRequest(), caller: carol).items == [aliceDefault, aliceC1, bobDefault])
        #expect(try service.listMappings(MappingFilter(userName: "bob"), page: PageRequest(), caller: carol).items == [bobDefault])
        #expect(try service.listMappings(MappingFilter(userName: "alice"), page: PageRequest(), caller: root).items == [aliceDefault, aliceC1])
        // Listing is not a change: nothing was audited.
        #expect(try audit().isEmpty)
    }

    // MARK: Reading a user

    @Test("Get withholds another user's mappings (nil) from a plain user; oneself and USER_ADMIN get them, [] when there are none")
    func getWithholdsMappings() throws {
        let alice = try user("alice", uid: 2001)
        let bob = try user("bob", uid: 2002, [.applicationAdmin])
        let carol = try user("carol", uid: 2003, [.userAdmin])
        try connection("c1")
        let aliceDefault = mapping("alice", nil, .postgresUsername("alice_pg"))
        let aliceC1 = mapping("alice", "c1", .none)
        for each in [aliceDefault, aliceC1] { try store.setMapping(each) }

        // A plain user (APPLICATION_ADMIN is no help) sees the user, not the mappings.
        let byBob = try service.user(name: "alice", caller: bob)
        #expect(byBob.user.name == "alice" && byBob.user.uid == 2001)
        #expect(byBob.mappings == nil)
        // Withheld even when there are none: nil says "not shown", never "none".
        #expect(try service.user(name: "carol", caller: alice).mappings == nil)
        #expect(try service.user(name: "alice", caller: Caller(uid: 3000)).mappings == nil)

        // Oneself: one's own mappings, and [] (not nil) without any.
        #expect(try service.user(name: "alice", caller: alice).mappings == [aliceDefault, aliceC1])
        let bobOwn = try service.user(name: "bob", caller: bob)
        #expect(bobOwn.mappings == [])
        #expect(bobOwn.mappings != nil)

        // USER_ADMIN and root: anyone's, [] when there are none.
        #expect(try service.user(name: "alice", caller: carol).mappings == [aliceDefault, aliceC1])
        let bobByCarol = try service.user(name: "bob", caller: carol)
        #expect(bobByCarol.mappings == [])
        #expect(bobByCarol.mappings != nil)
        #expect(try service.user(name: "alice", caller: root).mappings == [aliceDefault, aliceC1])
        #expect(try service.user(name: "carol", caller: root).mappings == [])

        let missing = #expect(throws: DomainError.self) { _ = try service.user(name: "nobody", caller: carol) }
        #expect(missing?.code == .notFound)
        // Reading is not a change: nothing was audited.
        #expect(try audit().isEmpty)
    }

    // MARK: Setting mappings

    @Test("SetMapping refuses an unknown kind and values that do not fit their kind, storing nothing")
    func setMappingValidation() throws {
        try user("alice", uid: 2001)
        try connection("c1")
        let unknownKind = #expect(throws: DomainError.self) { _ = try service.setMapping(request("alice", "c1", nil, "x"), caller: root) }
        #expect(unknownKind == DomainError(.invalidArgument, "mapping.identity.kind: must be POSTGRES_USERNAME, IAM_PRINCIPAL, UNSET or NONE"))

        let refused: [(Identity.Kind, String, String)] = [
            (.postgresUsername, "", "mapping.identity.value: POSTGRES_USERNAME needs a value"),
            (.postgresUsername, "pg_read_all_data", "mapping.identity.value: \"pg_read_all_data\": role names starting with pg_ are reserved by PostgreSQL"),
            (.postgresUsername, "a\nb", "mapping.identity.value: a PostgreSQL username may not contain control characters"),
            (.iamPrincipal, "", "mapping.identity.value: IAM_PRINCIPAL needs a value"),
            (.iamPrincipal, "arn:aws:iam::1:user/alice",
             "mapping.identity.value: \"arn:aws:iam::1:user/alice\": the account id must be 12 digits, not \"1\""),
            (.unset, "alice", "mapping.identity.value: UNSET takes no value, found \"alice\""),
            (.none, "x", "mapping.identity.value: NONE takes no value, found \"x\""),
        ]
        for (kind, value, message) in refused {
            let error = #expect(throws: DomainError.self) { _ = try service.setMapping(request("alice", "c1", kind, value), caller: root) }
            #expect(error == DomainError(.invalidArgument, message))
        }
        let badUser = #expect(throws: DomainError.self) { _ = try service.setMapping(request("9x", nil, Identity.Kind.none), caller: root) }
        #expect(badUser == DomainError(.invalidArgument, "mapping.user_name: \"9x\" must start with a letter or '_'"))
        let plain = try user("plain", uid: 2002)
        let denied = #expect(throws: DomainError.self) { _ = try service.setMapping(request("alice", "c1", Identity.Kind.none), caller: plain) }
        #expect(denied?.code == .permissionDenied)
        #expect(try allMappings().isEmpty)

        // Values that need quoting are fine: Steward quotes them.
        let quoted = try service.setMapping(request("alice", "c1", .postgresUsername, "O'Brien \"x\"; --"), caller: root)
        #expect(quoted == mapping("alice", "c1", .postgresUsername("O'Brien \"x\"; --")))
        #expect(try allMappings() == [quoted])
    }

    @Test("Within a connection a username has one owner (ALREADY_EXISTS names them); across connections it may repeat")
    func setMappingConflicts() throws {
        try user("alice", uid: 2001)
        try user("bob", uid: 2002)
        try connection("c1")
        try connection("c2")
        _ = try service.setMapping(request("alice", "c1", .postgresUsername, "shared"), caller: root)
        let clash = #expect(throws: DomainError.self) {
            _ = try service.setMapping(request("bob", "c1", .postgresUsername, "shared"), caller: root)
        }
        #expect(clash == DomainError(.alreadyExists, "PostgreSQL username \"shared\" on connection \"c1\" already belongs to user \"alice\""))
        let onOther = try service.setMapping(request("bob", "c2", .postgresUsername, "shared"), caller: root)
        #expect(onOther == mapping("bob", "c2", .postgresUsername("shared")))
        // A user's own name is theirs while they have no mapping.
        let ownName = #expect(throws: DomainError.self) {
            _ = try service.setMapping(request("bob", nil, .postgresUsername, "alice"), caller: root)
        }
        #expect(ownName?.code == .alreadyExists)
        #expect(ownName?.message.contains("user \"alice\"") == true)
        #expect(try allMappings() == [mapping("alice", "c1", .postgresUsername("shared")), onOther])

        let events = try audit(AuditFilter(method: "/steward.v1.Users/SetMapping")).reversed().map { $0 }
        #expect(events.map(\.status) == [.ok, .alreadyExists, .ok, .alreadyExists])
        #expect(events[1].target == "bob" && events[1].connectionKey == "c1")
        #expect(events[1].message == clash?.message)
        #expect(try audit(AuditFilter(connectionKey: "c2")).map(\.status) == [.ok])
    }

    @Test("RemoveMapping needs USER_ADMIN, removes one scope, is NOT_FOUND when there is none, and is audited with its connection")
    func removeMapping() throws {
        try user("alice", uid: 2001)
        let plain = try user("plain", uid: 2002)
        try connection("c1")
        try store.setMapping(mapping("alice", nil, .postgresUsername("alice_pg")))
        try store.setMapping(mapping("alice", "c1", .none))
        let denied = #expect(throws: DomainError.self) { try service.removeMapping(userName: "alice", connectionKey: "c1", caller: plain) }
        #expect(denied?.code == .permissionDenied)
        #expect(try allMappings().count == 2)
        try service.removeMapping(userName: "alice", connectionKey: "c1", caller: root)
        #expect(try allMappings() == [mapping("alice", nil, .postgresUsername("alice_pg"))])
        let again = #expect(throws: DomainError.self) { try service.removeMapping(userName: "alice", connectionKey: "c1", caller: root) }
        #expect(again == DomainError(.notFound, "user \"alice\" has no mapping for connection \"c1\""))
        let events = try audit(AuditFilter(connectionKey: "c1")).reversed().map { $0 }
        #expect(events.map(\.status) == [.permissionDenied, .ok, .notFound])
        #expect(events.allSatisfy { $0.method == "/steward.v1.Users/RemoveMapping" && $0.target == "alice" })
        #expect(events.first?.uid == 2002 && events.first?.userName == "plain")
    }

    // MARK: Importing mappings

    func importFixture() throws {
        try user("alice", uid: 2001)
        try user("bob", uid: 2002)
        try user("carol", uid: 2003)
        try connection("c1")
        try connection("c2")
        try store.setMapping(mapping("alice", "c1", .postgresUsername("shared")))
    }

    @Test("Import is all or nothing: a syntactically bad row and a row the store refuses are both reported, and nothing changes")
    func importAllOrNothing() throws {
        try importFixture()
        let before = try allMappings()
        let csv = """
            user,connection,kind,value
            carol,,POSTGRES_USERNAME,carol_pg
            bob,c1,POSTGRES_USERNAME,shared
            carol,c2,IAM_PRINCIPAL,arn:aws:iam::12345:user/carol
            bob,,NONE,
            """
        for dryRun in [false, true] {
            let error = #expect(throws: DomainError.self) { _ = try service.importMappings(csv: csv, dryRun: dryRun, caller: root) }
            #expect(error == DomainError(.invalidArgument, """
                2 bad rows; nothing was imported:
                line 3: PostgreSQL username "shared" on connection "c1" already belongs to user "alice"
                line 4: value: "arn:aws:iam::12345:user/carol": the account id must be 12 digits, not "12345"
                """))
        }
        #expect(try allMappings() == before)
        #expect(try service.listMappings(MappingFilter(), page: PageRequest(), caller: root).items == before)

        let events = try audit(AuditFilter(method: "/steward.v1.Users/ImportMappings"))
        #expect(events.count == 2)
        #expect(events.allSatisfy { $0.status == .invalidArgument && $0.uid == 0 && $0.target == nil })
        #expect(events.first?.message.hasPrefix("2 bad rows; nothing was imported:") == true)
    }

    @Test("Rows only the store can refuse (unknown user or connection, a clash within the file) are each reported by line")
    func importStoreRefusals() throws {
        try importFixture()
        let error = #expect(throws: DomainError.self) {
            _ = try service.importMappings(csv: """
                zed,,NONE,
                alice,c9,NONE,
                bob,c2,POSTGRES_USERNAME,dup
                carol,c2,POSTGRES_USERNAME,dup
                """, dryRun: false, caller: root)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == """
            3 bad rows; nothing was imported:
            line 1: no user named "zed"
            line 2: no connection with key "c9"
            line 4: PostgreSQL username "dup" on connection "c2" already belongs to user "bob"
            """)
        #expect(try allMappings() == [mapping("alice", "c1", .postgresUsername("shared"))])
    }

    @Test("A good CSV imports every row, replacing the user's mapping in a scope; the import is audited")
    func importGood() throws {
        try importFixture()
        let csv = [
            "User,Connection,Kind,Value",
            "alice,c1,UNSET,",
            "bob,c1,postgres_username,shared",
            "carol,,IDENTITY_KIND_IAM_PRINCIPAL,arn:aws:iam::123456789012:role/analysts/carol",
            "carol,c2,NONE,",
        ].map { $0 + "\r\n" }.joined()
        let count = try service.importMappings(csv: csv, dryRun: false, caller: root)
        #expect(count == 4)
        #expect(try allMappings() == [
            mapping("alice", "c1", .unset),
            mapping("bob", "c1", .postgresUsername("shared")),
            mapping("carol", nil, .iamPrincipal("arn:aws:iam::123456789012:role/analysts/carol")),
            mapping("carol", "c2", .none),
        ])
        let event = try #require(try audit().first)
        #expect(event.method == "/steward.v1.Users/ImportMappings")
        #expect(event.status == .ok && event.uid == 0 && event.target == nil && event.message.isEmpty)
    }

    @Test("A dry run checks every row and returns the count, importing nothing")
    func importDryRun() throws {
        try importFixture()
        let before = try allMappings()
        let count = try service.importMappings(csv: "bob,,POSTGRES_USERNAME,bob_pg\ncarol,c1,NONE,\n", dryRun: true, caller: root)
        #expect(count == 2)
        #expect(try allMappings() == before)
        #expect(try audit(AuditFilter(method: "/steward.v1.Users/ImportMappings")).map(\.status) == [.ok])
    }

    @Test("Importing needs USER_ADMIN, and the denial is audited")
    func importDenied() throws {
        try importFixture()
        let plain = try user("plain", uid: 2009, [.applicationAdmin])
        let error = #expect(throws: DomainError.self) {
            _ = try service.importMappings(csv: "bob,,NONE,\n", dryRun: false, caller: plain)
        }
        #expect(error?.code == .permissionDenied)
        #expect(try store.listMappings(MappingFilter(userName: "bob")).isEmpty)
        let event = try #require(try audit().first)
        #expect(event.method == "/steward.v1.Users/ImportMappings" && event.status == .permissionDenied)
        #expect(event.uid == 2009 && event.userName == "plain")
    }

    @Test("An import of more than maxImportRows rows is refused INVALID_ARGUMENT naming the limit, before any row is checked")
    func importRowCap() throws {
        try importFixture()
        let before = try allMappings()
        // Every row is well formed and sets its own scope, so each one counts.
        let rows = UsersService.maxImportRows + 1
        let csv = "user,connection,kind,value\n" + (0..<rows).map { "u\($0),,NONE,\n" }.joined()
        let error = #expect(throws: DomainError.self) { _ = try service.importMappings(csv: csv, dryRun: true, caller: root) }
        #expect(error == DomainError(
            .invalidArgument, "csv: \(rows) rows; at most \(UsersService.maxImportRows) are imported at once: split the file"))
        #expect(try allMappings() == before)
        let event = try #require(try audit(AuditFilter(method: "/steward.v1.Users/ImportMappings")).first)
        #expect(event.status == .invalidArgument && event.message == error?.message)
    }

    @Test("An import with 150 bad rows lists the first 100 by line, then counts the other 50")
    func importReportCap() throws {
        try importFixture()
        // Lines 2…151: odd lines are malformed (the parser's problem), even
        // lines name a user who does not exist (the store's), so the report
        // is the two merged by line.
        var lines = ["user,connection,kind,value"]
        for line in 2...151 {
            lines.append(line.isMultiple(of: 2) ? "ghost\(line),,NONE," : "carol\(line),,BOGUS,")
        }
        let csv = lines.joined(separator: "\n") + "\n"
        let error = try #require(#expect(throws: DomainError.self) {
            _ = try service.importMappings(csv: csv, dryRun: false, caller: root)
        })
        #expect(error.code == .invalidArgument)
        let report = error.message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(report.count == 1 + 100 + 1, "\(report.count) lines")
        #expect(report.first == "150 bad rows; nothing was imported:")
        let listed = report.dropFirst().dropLast()
        #expect(listed.map { $0.prefix { $0 != ":" } } == (2...101).map { "line \($0)"[...] })
        #expect(listed.first == "line 2: no user named \"ghost2\"")
        #expect(listed.dropFirst().first?.hasPrefix("line 3: kind: \"BOGUS\" is not one of") == true)
        #expect(report.last == "… and 50 more bad rows")
        #expect(!error.message.contains("line 102:"))
        #expect(try store.listMappings(MappingFilter()).count == 1)
    }

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

    // MARK: Checking mappings against the servers

    /// Users: alice → alice_pg (can log in), bob → his own name (NOLOGIN),
    /// carol → an IAM principal, dave → NONE (but dave_pg on c-validated),
    /// erin → ghost (no such role). Connections in every state.
    func checkFixture() throws {
        try user("alice", uid: 2001)
        try user("bob", uid: 2002)
        try user("carol", uid: 2003)
        try user("dave", uid: 2004)
        try user("erin", uid: 2005)
        for (key, target) in [
            ("c-active", LifecycleState.active), ("c-failed", .validationFailed), ("c-inactive", .inactive),
            ("c-registered", .registered), ("c-unhealthy", .unhealthy), ("c-validated", .validated),
        ] {
            try connection(key, in: target)
        }
        try store.setMapping(mapping("alice", nil, .postgresUsername("alice_pg")))
        try store.setMapping(mapping("carol", nil, .iamPrincipal("arn:aws:iam::123456789012:user/carol")))
        try store.setMapping(mapping("dave", nil, .none))
        try store.setMapping(mapping("dave", "c-validated", .postgresUsername("dave_pg")))
        try store.setMapping(mapping("erin", nil, .postgresUsername("ghost")))
    }

    static let ability = ["alice_pg": true, "bob": false, "dave_pg": true, "unrelated": true]

    func outcomes(_ checks: [MappingCheck], on key: String) -> [String: MappingCheck.Outcome] {
        Dictionary(uniqueKeysWithValues: checks.filter { $0.identity.connectionKey == key }.map { ($0.identity.userName, $0.outcome) })
    }

    @Test("Each mapped role is OK, MISSING or NOLOGIN; IAM and NONE are NOT_APPLICABLE; one probe per connection with each role once")
    func checkOutcomes() async throws {
        try checkFixture()
        let probe = ScriptedLoginRoles(ability: Self.ability)
        let service = UsersService(store: store, roles: probe)
        let (checks, failures) = try await service.checkMappings(
            connectionKey: nil, userName: nil, caller: root, deadline: .after(milliseconds: 5000))
        #expect(failures.isEmpty)

        // Only VALIDATED, ACTIVE and UNHEALTHY connections, each asked once.
        let calls = probe.recorded.sorted { $0.connection < $1.connection }
        #expect(calls.map(\.connection) == ["c-active", "c-unhealthy", "c-validated"])
        #expect(calls.map(\.password) == ["pw-c-active", "pw-c-unhealthy", "pw-c-validated"])
        #expect(calls[0].roles == ["alice_pg", "bob", "ghost"])
        #expect(calls[1].roles == ["alice_pg", "bob", "ghost"])
        #expect(calls[2].roles == ["alice_pg", "bob", "dave_pg", "ghost"])
        for call in calls { #expect(Set(call.roles).count == call.roles.count, "each role is asked once") }

        // In connection key order, then user name order, however the probes interleaved.
        let users = ["alice", "bob", "carol", "dave", "erin"]
        #expect(checks.map(\.identity.connectionKey) == ["c-active", "c-unhealthy", "c-validated"].flatMap { Array(repeating: $0, count: 5) })
        #expect(checks.map(\.identity.userName) == users + users + users)
        let expected: [String: MappingCheck.Outcome] = [
            "alice": .ok, "bob": .noLogin, "carol": .notApplicable, "dave": .notApplicable, "erin": .missing,
        ]
        #expect(outcomes(checks, on: "c-active") == expected)
        #expect(outcomes(checks, on: "c-unhealthy") == expected)
        var onValidated = expected
        onValidated["dave"] = .ok
        #expect(outcomes(checks, on: "c-validated") == onValidated)

        let bob = try #require(checks.first { $0.identity.userName == "bob" && $0.identity.connectionKey == "c-active" })
        #expect(bob.identity.identity == .unset && bob.identity.source == .fallback && bob.identity.postgresUsername == "bob")
        let dave = try #require(checks.first { $0.identity.userName == "dave" && $0.identity.connectionKey == "c-validated" })
        #expect(dave.identity.source == .connection && dave.identity.postgresUsername == "dave_pg")
        // Checking is not a change: nothing was audited.
        #expect(try audit().isEmpty)
    }

    @Test("A named connection is checked whatever its state; a named user narrows the roles asked")
    func checkNamed() async throws {
        try checkFixture()
        let probe = ScriptedLoginRoles(ability: Self.ability)
        let service = UsersService(store: store, roles: probe)
        let registered = try await service.checkMappings(
            connectionKey: "c-registered", userName: nil, caller: root, deadline: .after(milliseconds: 5000))
        #expect(registered.checks.count == 5 && registered.failures.isEmpty)
        let alice = try await service.checkMappings(
            connectionKey: "c-active", userName: "alice", caller: root, deadline: .after(milliseconds: 5000))
        #expect(alice.checks.map(\.identity.userName) == ["alice"])
        #expect(alice.checks.map(\.outcome) == [.ok])
        // Carol's identity is an IAM principal: nothing to ask the server.
        let carol = try await service.checkMappings(
            connectionKey: nil, userName: "carol", caller: root, deadline: .after(milliseconds: 5000))
        #expect(carol.checks.count == 3 && carol.checks.allSatisfy { $0.outcome == .notApplicable })
        #expect(probe.recorded == [
            ScriptedLoginRoles.Call(connection: "c-registered", roles: ["alice_pg", "bob", "ghost"], password: "pw-c-registered"),
            ScriptedLoginRoles.Call(connection: "c-active", roles: ["alice_pg"], password: "pw-c-active"),
        ])

        let nobody = await #expect(throws: DomainError.self) {
            _ = try await service.checkMappings(connectionKey: nil, userName: "nobody", caller: root, deadline: .after(milliseconds: 5000))
        }
        #expect(nobody?.code == .notFound)
        let noConnection = await #expect(throws: DomainError.self) {
            _ = try await service.checkMappings(connectionKey: "c-none", userName: nil, caller: root, deadline: .after(milliseconds: 5000))
        }
        #expect(noConnection?.code == .notFound)
    }

    @Test("A connection that cannot be asked is reported in failures; the others still report their checks")
    func checkFailure() async throws {
        try checkFixture()
        let probe = ScriptedLoginRoles(
            ability: Self.ability, failures: ["c-unhealthy": DomainError(.unavailable, "could not connect to c-unhealthy")])
        let service = UsersService(store: store, roles: probe)
        let (checks, failures) = try await service.checkMappings(
            connectionKey: nil, userName: nil, caller: root, deadline: .after(milliseconds: 5000))
        #expect(failures.count == 1)
        #expect(failures.first?.connectionKey == "c-unhealthy")
        #expect(failures.first?.code == .unavailable)
        #expect(failures.first?.message == "could not connect to c-unhealthy")
        #expect(Set(checks.map(\.identity.connectionKey)) == ["c-active", "c-validated"])
        #expect(checks.count == 10)
        #expect(outcomes(checks, on: "c-active")["alice"] == .ok)
        #expect(probe.recorded.count == 3)
    }

    @Test("Checking mappings needs USER_ADMIN, and a denied caller never reaches a server")
    func checkDenied() async throws {
        try checkFixture()
        let appAdmin = try user("app", uid: 2010, [.applicationAdmin])
        let probe = ScriptedLoginRoles(ability: Self.ability)
        let service = UsersService(store: store, roles: probe)
        let error = await #expect(throws: DomainError.self) {
            _ = try await service.checkMappings(connectionKey: nil, userName: nil, caller: appAdmin, deadline: .after(milliseconds: 5000))
        }
        #expect(error?.code == .permissionDenied)
        #expect(probe.recorded.isEmpty)
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

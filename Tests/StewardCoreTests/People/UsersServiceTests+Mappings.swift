import Foundation
@testable import StewardCore
import StewardPostgres
import StewardStore
import StewardWire
import Testing

/// Listing, reading and setting users' mappings.
extension UsersServiceTests {
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
}

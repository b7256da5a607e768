import StewardModel
import Foundation
@testable import StewardCore
import StewardPostgres
import StewardStore
import StewardWire
import Testing

/// CheckMappings against the (fake) servers.
extension UsersServiceTests {
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
}

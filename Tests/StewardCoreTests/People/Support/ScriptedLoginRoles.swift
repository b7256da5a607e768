@testable import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import Synchronization

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

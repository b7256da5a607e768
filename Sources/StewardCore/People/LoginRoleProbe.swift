import StewardModel
import StewardPostgres
import StewardStore

/// Asks a registered connection's live server which roles exist and may log
/// in; behind a protocol so that mapping logic can be tested apart from it.
public protocol LoginRoleProbe: Sendable {
    /// By role name: whether it can log in; absent when there is no such role.
    func loginAbility(
        of roles: [String], settings: ConnectionSettings, password: String, deadline: Deadline
    ) async throws(DomainError) -> [String: Bool]
}

import StewardModel
import StewardPostgres
import StewardStore
import StewardWire

/// What CheckMappings found for one user on one connection.
public struct MappingCheck: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable {
        /// The role exists and can log in.
        case ok = "OK"
        /// There is no such role on the server.
        case missing = "MISSING"
        /// The role exists but is NOLOGIN.
        case noLogin = "NOLOGIN"
        /// Nothing to check: the identity is NONE or an IAM principal.
        case notApplicable = "NOT_APPLICABLE"
    }

    public var identity: EffectiveIdentity
    public var outcome: Outcome
}

/// A connection CheckMappings could not ask, and why.
public struct ConnectionCheckFailure: Sendable, Hashable {
    public var connectionKey: String
    public var code: StatusCode
    public var message: String
}

extension UsersService {
    /// The states in which a connection's credentials have been shown to work.
    static let checkableStates: Set<LifecycleState> = [.validated, .active, .unhealthy]

    /// Connections CheckMappings asks concurrently.
    static let maxConnectionsAskedAtOnce = 8

    /// Asks each connection's live server, in one catalog query per
    /// connection, whether each mapped role exists and can log in. With no
    /// connection named, every VALIDATED, ACTIVE or UNHEALTHY one; with no
    /// user named, every user. Connections are asked concurrently; one that
    /// cannot be asked is reported and does not stop the others.
    public func checkMappings(
        connectionKey: String?, userName: String?, caller: Caller, deadline: Deadline
    ) async throws(DomainError) -> (checks: [MappingCheck], failures: [ConnectionCheckFailure]) {
        try caller.require(.userAdmin, to: "check mappings")
        if let userName { _ = try storeCall { () throws(StoreError) in try store.user(name: userName) } }
        let connections = try connectionsToCheck(connectionKey)
        var plans: [(connection: ConnectionRecord, identities: [EffectiveIdentity], password: Secret)] = []
        for connection in connections {
            let key = connection.key
            plans.append(try storeCall { () throws(StoreError) in
                (connection, try store.effectiveIdentities(connectionKey: key, userName: userName),
                 try store.connectionPassword(key: key, for: connection.settings))
            })
        }
        let outcomes = await withTaskGroup(of: (Int, Result<[MappingCheck], DomainError>).self) { group in
            // A bounded window: each ask holds a PostgreSQL connection and an
            // executor thread, and those queued behind would only wait.
            var pending = plans.enumerated().makeIterator()
            func startNext() {
                guard let (index, plan) = pending.next() else { return }
                group.addTask {
                    do throws(DomainError) {
                        return (index, .success(try await check(plan.identities, on: plan.connection, password: plan.password, deadline: deadline)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            for _ in 0..<Self.maxConnectionsAskedAtOnce { startNext() }
            var ordered = [Result<[MappingCheck], DomainError>?](repeating: nil, count: plans.count)
            for await (index, outcome) in group {
                ordered[index] = outcome
                startNext()
            }
            return ordered
        }
        var checks: [MappingCheck] = []
        var failures: [ConnectionCheckFailure] = []
        for (plan, outcome) in zip(plans, outcomes) {
            switch outcome {
            case .success(let found)?: checks += found
            case .failure(let error)?:
                failures.append(ConnectionCheckFailure(connectionKey: plan.connection.key, code: error.code, message: error.message))
            case nil: break
            }
        }
        return (checks, failures)
    }

    private func connectionsToCheck(_ key: String?) throws(DomainError) -> [ConnectionRecord] {
        if let key { return [try storeCall { () throws(StoreError) in try store.connection(key: key) }] }
        return try store.connections(in: Self.checkableStates) { error throws(DomainError) in throw DomainError(error) }
    }

    private func check(
        _ identities: [EffectiveIdentity], on connection: ConnectionRecord, password: Secret, deadline: Deadline
    ) async throws(DomainError) -> [MappingCheck] {
        let names = Array(Set(identities.compactMap(\.postgresUsername))).sorted()
        let ability = names.isEmpty
            ? [:]
            : try await roles.loginAbility(of: names, settings: connection.settings, password: password.exposedValue, deadline: deadline)
        return identities.map { identity in
            guard let role = identity.postgresUsername else { return MappingCheck(identity: identity, outcome: .notApplicable) }
            switch ability[role] {
            case nil: return MappingCheck(identity: identity, outcome: .missing)
            case false?: return MappingCheck(identity: identity, outcome: .noLogin)
            case true?: return MappingCheck(identity: identity, outcome: .ok)
            }
        }
    }
}

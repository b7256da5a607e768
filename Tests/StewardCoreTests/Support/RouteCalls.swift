import StewardCore
import StewardModel
import StewardPostgres
import StewardStore

// The services' mutating calls as the daemon's routes make them: each
// route names its method and reads the audit target from its request
// (RoutePolicy, in StewardServer); these tests play the route, so that they
// call a service with a caller alone and check what its audit events name.

extension Caller {
    func calling(_ method: String, target: String?, connectionKey: String? = nil) -> AuditedCall {
        AuditedCall(caller: self, method: method, target: target, connectionKey: connectionKey)
    }

    func callingConnections(_ method: String, key: String) -> AuditedCall {
        calling("/steward.v1.Connections/" + method, target: key, connectionKey: key)
    }

    func callingUsers(_ method: String, target: String?, connectionKey: String? = nil) -> AuditedCall {
        calling("/steward.v1.Users/" + method, target: target, connectionKey: connectionKey)
    }
}

extension ConnectionsService {
    func register(
        displayName: String, request: @autoclosure () throws(DomainError) -> (settings: ConnectionSettings, password: String?),
        caller: Caller, deadline: Deadline
    ) async throws(DomainError) -> ConnectionRecord {
        try await register(
            displayName: displayName, request: try request(), call: caller.callingConnections("Register", key: displayName),
            deadline: deadline)
    }

    func validate(key: String, caller: Caller, deadline: Deadline) async throws(DomainError) -> (ConnectionRecord, ValidationReport) {
        try await validate(key: key, call: caller.callingConnections("Validate", key: key), deadline: deadline)
    }

    func completeSetup(key: String, caller: Caller) throws(DomainError) -> ConnectionRecord {
        try completeSetup(key: key, call: caller.callingConnections("CompleteSetup", key: key))
    }

    func deactivate(key: String, caller: Caller) throws(DomainError) -> ConnectionRecord {
        try deactivate(key: key, call: caller.callingConnections("Deactivate", key: key))
    }

    func activate(key: String, caller: Caller) throws(DomainError) -> ConnectionRecord {
        try activate(key: key, call: caller.callingConnections("Activate", key: key))
    }

    func delete(key: String, caller: Caller) throws(DomainError) {
        try delete(key: key, call: caller.callingConnections("Delete", key: key))
    }

    func update(
        key: String, changes: @autoclosure () throws(DomainError) -> [SettingsChange],
        expectedRevision: @autoclosure () throws(DomainError) -> Int64?, dryRun: Bool, keepPassword: Bool = false,
        caller: Caller
    ) throws(DomainError) -> UpdatePlan {
        try update(
            key: key, changes: try changes(), expectedRevision: try expectedRevision(), dryRun: dryRun,
            keepPassword: keepPassword, call: caller.callingConnections("Update", key: key))
    }
}

extension SyncService {
    func sync(
        key: String, caller: Caller, deadline: Deadline, progress: @Sendable (Event) async throws(DomainError) -> Void
    ) async throws(DomainError) -> Outcome {
        try await sync(key: key, call: caller.callingConnections("Sync", key: key), deadline: deadline, progress: progress)
    }
}

extension UsersService {
    func create(name: String, uid: UInt32, permissions: [Permission?], caller: Caller) throws(DomainError) -> UserRecord {
        try create(name: name, uid: uid, permissions: permissions, call: caller.callingUsers("Create", target: name))
    }

    func grant(_ permission: Permission?, to name: String, caller: Caller) throws(DomainError) -> UserRecord {
        try grant(permission, to: name, call: caller.callingUsers("Grant", target: name))
    }

    func revoke(_ permission: Permission?, from name: String, caller: Caller) throws(DomainError) -> UserRecord {
        try revoke(permission, from: name, call: caller.callingUsers("Revoke", target: name))
    }

    func delete(name: String, caller: Caller) throws(DomainError) {
        try delete(name: name, call: caller.callingUsers("Delete", target: name))
    }

    func setMapping(_ request: MappingRequest, caller: Caller) throws(DomainError) -> IdentityMapping {
        try setMapping(
            request, call: caller.callingUsers("SetMapping", target: request.userName, connectionKey: request.connectionKey))
    }

    func removeMapping(userName: String, connectionKey: String?, caller: Caller) throws(DomainError) {
        try removeMapping(
            userName: userName, connectionKey: connectionKey,
            call: caller.callingUsers("RemoveMapping", target: userName, connectionKey: connectionKey))
    }

    func importMappings(csv: String, dryRun: Bool, caller: Caller) throws(DomainError) -> Int {
        try importMappings(csv: csv, dryRun: dryRun, call: caller.callingUsers("ImportMappings", target: nil))
    }
}

import StewardModel
import StewardStore

extension ConnectionsService {
    /// Rotates the credentials Steward connects with. An ACTIVE or UNHEALTHY
    /// connection tries the new credentials first: every validation check
    /// runs with them (the stored ones untouched), and only if all pass are
    /// they stored, with the passing report, the connection staying (or
    /// becoming) ACTIVE. If any fails nothing changes: FAILED_PRECONDITION
    /// names the failing checks and the old credentials stay in use.
    /// A connection not yet ACTIVE (or INACTIVE) is updated as before, back
    /// to REGISTERED. The report is nil for that path.
    public func rotateCredentials(
        key: String, changes requestedChanges: @autoclosure () throws(DomainError) -> [SettingsChange],
        call: AuditedCall, deadline: Deadline
    ) async throws(DomainError) -> (ConnectionRecord, ValidationReport?) {
        let caller = call.caller
        let allowed: Bool
        do throws(DomainError) { try caller.require(.applicationAdmin, to: "rotate credentials"); allowed = true } catch { allowed = false }
        guard allowed, let current = try? connection(key: key), current.state.isGoverned else {
            // Denials, unknown keys and connections not yet ACTIVE: the update
            // path (audited there), which sends the connection to REGISTERED.
            let plan = try update(key: key, changes: try requestedChanges(), expectedRevision: nil, dryRun: false, call: call)
            return (plan.connection, nil)
        }
        return try await audit.audited(call, noting: { event async throws(DomainError) in
            let changes = try requestedChanges()
            var newUsername: String?
            var newPassword: String?
            for change in changes {
                switch change {
                case .username(let value): newUsername = value
                case .password(let value): newPassword = value
                default: throw DomainError.invalidArgument(change.path, "is not a credential: RotateCredentials changes username and password only")
                }
            }
            guard let newPassword else {
                throw DomainError.invalidArgument("password", "is required to rotate the credentials of an \(current.state.rawValue) connection")
            }
            return try await ValidationQueue.processWide.run(key: .init(store: store, connection: key)) { () async throws(DomainError) in
                let record = try connection(key: key)
                guard record.state.isGoverned else {
                    throw DomainError.failedPrecondition(
                        "connection \"\(key)\" became \(record.state.rawValue) while the rotation waited; nothing was changed: retry")
                }
                guard !deadline.hasPassed else {
                    throw DomainError(
                        .deadlineExceeded,
                        "the call's deadline passed while another validation of connection \"\(key)\" ran; the credentials were not rotated")
                }
                var candidate = record.settings
                if let newUsername { candidate.username = newUsername }
                candidate = try ConnectionInputRules.accepted(candidate, password: newPassword)
                let findings = await prober.findings(
                    key: key, settings: candidate, password: newPassword, marker: Self.marker(of: record),
                    governed: try GovernedRelations.of(record, in: store), deadline: deadline)
                let failing = findings.checks.filter { $0.status == .failed }
                guard failing.isEmpty else {
                    let named = failing.map { "\($0.name): \($0.message)" }.joined(separator: "; ")
                    throw DomainError.failedPrecondition(
                        "the new credentials of connection \"\(key)\" failed validation (\(named)); "
                            + "nothing was changed, the old credentials stay in use")
                }
                let roleChanged = candidate.username != record.settings.username
                event.note(roleChanged
                    ? "credentials rotated: role \(record.settings.username) → \(candidate.username), new password; validated before the switch"
                    : "credentials rotated: new password; validated before the switch")
                let newSettings = candidate
                let result = ValidationResult(at: clock(), checks: findings.checks, serverVersion: findings.serverVersion)
                var change: StateChange?
                if record.state != .active {
                    change = StateChange(to: .active, actor: caller.uid, reason: "credentials rotated; validation passed")
                }
                // The new credentials and the report that tested them are
                // stored in one transaction: a failure in between leaves neither.
                let stored = try storeCall { () throws(StoreError) in
                    try store.updateConnection(
                        ConnectionUpdate(
                            key: key, expectedRevision: record.revision, settings: newSettings, password: Secret(newPassword)),
                        recording: result, change: change)
                }
                return (stored.connection, stored.report)
            }
        })
    }
}

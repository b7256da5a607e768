import StewardModel
import StewardStore

/// The calls that run enforcement at once: Enforce, and the revocation that
/// comes before a connection is deactivated or deleted.
extension EnforcementScheduler {
    /// Policies.Enforce: APPLICATION_ADMIN; an ACTIVE or UNHEALTHY
    /// connection; audited with the policies that caused its statements.
    public nonisolated func enforce(key: String, dryRun: Bool, call: AuditedCall, deadline: Deadline) async throws(DomainError)
        -> EnforcementOutcome
    {
        try await audit.audited(call, noting: { event async throws(DomainError) in
            try call.caller.require(.applicationAdmin, to: "enforce policies")
            let outcome = try await enforceExclusively(
                key, in: LifecycleState.governed, revokeEverything: false, dryRun: dryRun, deadline: deadline)
            event.note(outcome.auditSummary)
            return outcome
        })
    }

    /// Takes back every grant Steward made on the connection (an empty
    /// desired state), whatever its state: run by a deactivation once the
    /// connection is INACTIVE (so no background run grants again), and by a
    /// delete before the connection goes. The change goes ahead whatever
    /// this answers; the answer says what happened.
    public func revokeAll(key: String, deadline: Deadline) async -> Result<EnforcementOutcome, DomainError> {
        do throws(DomainError) {
            return .success(try await enforceExclusively(key, in: nil, revokeEverything: true, dryRun: false, deadline: deadline))
        } catch {
            return .failure(error)
        }
    }
}

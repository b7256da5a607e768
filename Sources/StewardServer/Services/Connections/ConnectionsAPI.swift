import StewardCore
import StewardModel
import StewardPostgres
import StewardStore
import StewardWire

/// `steward.v1.Connections`: the RPC face of ``ConnectionsService``.
public enum ConnectionsAPI {
    /// How long Register (discovery) and Validate may take when the call
    /// sets no deadline.
    static let defaultDeadlineMilliseconds = 30_000

    public static func register(
        in router: inout Router, service: ConnectionsService, enforcement: EnforcementScheduler, metrics: ServerMetrics
    ) {
        typealias API = StewardV1.Connections
        router.register(API.register, policy: .requires(.applicationAdmin, audited: { .connection($0.displayName) })) { request, context in
            let record = try await service.register(
                displayName: request.displayName,
                request: try ConnectionsMapping.settings(request.settings, displayName: request.displayName),
                call: context.auditedCall, deadline: context.databaseDeadline(orAfter: defaultDeadlineMilliseconds))
            return StewardV1.RegisterConnectionResponse(connection: ConnectionsMapping.message(record, report: nil))
        }
        router.registerRead(API.get, policy: .requires(.knownCaller)) { request, _ in
            let (record, report) = try service.connectionWithLatestReport(key: request.key)
            return StewardV1.GetConnectionResponse(connection: ConnectionsMapping.message(record, report: report))
        }
        router.register(API.list, policy: .requires(.knownCaller)) { request, _ in
            let page = try service.list(
                state: try ConnectionsMapping.state(request.state),
                page: PageRequest(size: Int(request.pageSize), token: request.pageToken.isEmpty ? nil : request.pageToken))
            // Each with its last validation, which `connection list` shows:
            // one read for the whole page.
            let reports = try service.latestReports(of: page.items)
            return StewardV1.ListConnectionsResponse(
                connections: page.items.map { ConnectionsMapping.message($0, report: reports[$0.key]) },
                nextPageToken: page.nextPageToken ?? "")
        }
        router.register(API.listTransitions, policy: .requires(.knownCaller)) { request, _ in
            let page = try service.transitions(
                key: request.key,
                page: PageRequest(size: Int(request.pageSize), token: request.pageToken.isEmpty ? nil : request.pageToken))
            return StewardV1.ListConnectionTransitionsResponse(
                transitions: page.items.map(ConnectionsMapping.message), nextPageToken: page.nextPageToken ?? "")
        }
        router.register(API.update, policy: .requires(.applicationAdmin, audited: { .connection($0.key) })) { request, context in
            let plan = try service.update(
                key: request.key, changes: try ConnectionsMapping.changes(request),
                expectedRevision: try ConnectionsMapping.expectedRevision(request.expectedRevision),
                dryRun: request.dryRun, keepPassword: request.keepPassword, call: context.auditedCall)
            return StewardV1.UpdateConnectionResponse(
                connection: ConnectionsMapping.message(plan.connection, report: nil),
                changes: plan.changes.map { StewardV1.FieldChange(path: $0.path, oldValue: $0.oldValue, newValue: $0.newValue) },
                checksToRerun: plan.checksToRerun, dryRun: plan.dryRun, passwordKept: plan.passwordKept)
        }
        router.register(API.getSetupScript, policy: .requires(.knownCaller)) { request, _ in
            let script = try service.setupScript(key: request.key)
            return StewardV1.GetSetupScriptResponse(script: try script.text, fileName: script.fileName)
        }
        router.register(API.validate, policy: .requires(.applicationAdmin, audited: { .connection($0.key) })) { request, context in
            let record: ConnectionRecord
            let report: ValidationReport
            do {
                (record, report) = try await service.validate(
                    key: request.key, call: context.auditedCall, deadline: context.databaseDeadline(orAfter: defaultDeadlineMilliseconds))
            } catch {
                metrics.recordValidation(outcome: "error")
                throw error
            }
            metrics.recordValidation(outcome: report.outcome.rawValue)
            return StewardV1.ValidateConnectionResponse(
                report: ConnectionsMapping.message(report), connection: ConnectionsMapping.message(record, report: report))
        }
        router.register(API.completeSetup, policy: .requires(.applicationAdmin, audited: { .connection($0.key) })) { request, context in
            let record = try service.completeSetup(key: request.key, call: context.auditedCall)
            await enforcement.desiredStateMoved(.connections([record.key]))
            return StewardV1.CompleteSetupResponse(connection: ConnectionsMapping.message(record, report: nil))
        }
        router.register(API.deactivate, policy: .requires(.applicationAdmin, audited: { .connection($0.key) })) { request, context in
            let record = try service.deactivate(key: request.key, call: context.auditedCall)
            // INACTIVE first, so that no background run grants again; then every grant Steward made goes.
            let revocation = await enforcement.revokeAll(
                key: record.key, deadline: context.databaseDeadline(orAfter: PoliciesAPI.defaultEnforceMilliseconds))
            var response = StewardV1.DeactivateConnectionResponse(connection: ConnectionsMapping.message(record, report: nil))
            (response.revocation, response.revocationFailure) = PoliciesMapping.revocation(revocation)
            return response
        }
        router.register(API.activate, policy: .requires(.applicationAdmin, audited: { .connection($0.key) })) { request, context in
            // Activate makes it REGISTERED: it is enforced again once CompleteSetup makes it ACTIVE.
            StewardV1.ActivateConnectionResponse(
                connection: ConnectionsMapping.message(try service.activate(key: request.key, call: context.auditedCall), report: nil))
        }
        router.register(API.delete, policy: .requires(.applicationAdmin, audited: { .connection($0.key) })) { request, context in
            // Only an INACTIVE connection may go: its grants are taken back
            // first (again, in case the deactivation's revocation failed).
            let revocation = await revokeBeforeDelete(
                key: request.key, service: service, enforcement: enforcement, caller: context.caller,
                deadline: context.databaseDeadline(orAfter: PoliciesAPI.defaultEnforceMilliseconds))
            try service.delete(key: request.key, call: context.auditedCall)
            var response = StewardV1.DeleteConnectionResponse()
            (response.revocation, response.revocationFailure) = PoliciesMapping.revocation(revocation)
            return response
        }
        router.register(API.rotateCredentials, policy: .requires(.applicationAdmin, audited: { .connection($0.key) })) { request, context in
            let (record, report) = try await service.rotateCredentials(
                key: request.key, changes: try ConnectionsMapping.rotation(request), call: context.auditedCall,
                deadline: context.databaseDeadline(orAfter: defaultDeadlineMilliseconds))
            return StewardV1.RotateCredentialsResponse(connection: ConnectionsMapping.message(record, report: report))
        }
    }

    /// The revocation before a delete, run only for a caller who may delete
    /// and a connection that may be deleted (INACTIVE): a refused delete
    /// must not take anyone's access away.
    private static func revokeBeforeDelete(
        key: String, service: ConnectionsService, enforcement: EnforcementScheduler, caller: Caller, deadline: Deadline
    ) async -> Result<EnforcementOutcome, DomainError>? {
        guard caller.holds(.applicationAdmin), (try? service.connection(key: key))?.state == .inactive else { return nil }
        return await enforcement.revokeAll(key: key, deadline: deadline)
    }
}

import StewardCore
import StewardStore
import StewardWire

/// `steward.v1.Policies`: the RPC face of ``PoliciesService`` and of the
/// enforcement calls of ``EnforcementScheduler``. A change that commits is
/// announced to the scheduler for the connections its policy names.
public enum PoliciesAPI {
    /// How long Enforce may take when the call sets no deadline.
    static let defaultEnforceMilliseconds = 60_000

    public static func register(in router: inout Router, service: PoliciesService, enforcement: EnforcementScheduler) {
        typealias API = StewardV1.Policies
        router.register(API.create, policy: .requires(.applicationAdmin, audited: { .policy($0.policy?.name ?? "") })) { request, context in
            let record = try service.create(PoliciesMapping.request(request.policy), dryRun: request.dryRun, call: context.auditedCall)
            if !request.dryRun { await enforcement.desiredStateMoved(.connections(record.connectionKeys)) }
            return StewardV1.CreatePolicyResponse(policy: PoliciesMapping.message(record), dryRun: request.dryRun)
        }
        router.registerRead(API.get, policy: .requires(.knownCaller)) { request, _ in
            StewardV1.GetPolicyResponse(policy: PoliciesMapping.message(try service.policy(name: request.name)))
        }
        router.register(API.list, policy: .requires(.knownCaller)) { request, _ in
            let page = try service.list(page: PoliciesMapping.page(size: request.pageSize, token: request.pageToken))
            return StewardV1.ListPoliciesResponse(policies: page.items.map(PoliciesMapping.message), nextPageToken: page.nextPageToken ?? "")
        }
        router.register(API.update, policy: .requires(.applicationAdmin, audited: { .policy($0.name) })) { request, context in
            let (before, after) = try service.update(
                name: request.name, PoliciesMapping.request(request.policy, name: request.name), paths: request.updatePaths,
                expectedRevision: try ConnectionsMapping.expectedRevision(request.expectedRevision), dryRun: request.dryRun,
                call: context.auditedCall)
            if !request.dryRun { await enforcement.desiredStateMoved(.connections(before.connectionKeys.union(after.connectionKeys))) }
            return StewardV1.UpdatePolicyResponse(policy: PoliciesMapping.message(after), dryRun: request.dryRun)
        }
        router.register(API.delete, policy: .requires(.applicationAdmin, audited: { .policy($0.name) })) { request, context in
            let deleted = try service.delete(name: request.name, call: context.auditedCall)
            await enforcement.desiredStateMoved(.connections(deleted.connectionKeys))
            return StewardV1.DeletePolicyResponse()
        }
        router.register(API.enforce, policy: .requires(.applicationAdmin, audited: { .connection($0.connectionKey) })) { request, context in
            let outcome = try await enforcement.enforce(
                key: request.connectionKey, dryRun: request.dryRun, call: context.auditedCall,
                deadline: context.databaseDeadline(orAfter: defaultEnforceMilliseconds))
            return PoliciesMapping.message(outcome)
        }
        router.register(API.listSubscribers, policy: .requires(.knownCaller)) { request, _ in
            StewardV1.ListSubscribersResponse(
                subscribers: try service.subscribers(dataSource: request.dataSource).map(PoliciesMapping.message))
        }
    }
}

extension AuditTarget {
    /// A call on a policy.
    static func policy(_ name: String) -> Self { Self(target: name, connectionKey: nil) }
    /// A call on a group.
    static func group(_ name: String) -> Self { Self(target: name, connectionKey: nil) }
}

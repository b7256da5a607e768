import StewardCore
import StewardStore
import StewardWire

/// `steward.v1.Groups`: the RPC face of ``GroupsService``. Every change to
/// a group can move any connection's desired state.
public enum GroupsAPI {
    public static func register(in router: inout Router, service: GroupsService, enforcement: EnforcementScheduler) {
        typealias API = StewardV1.Groups
        router.register(API.create, policy: .requires(.userAdmin, audited: { .group($0.name) })) { request, context in
            let group = try service.create(name: request.name, osGroup: request.osGroup, call: context.auditedCall)
            // A new group is in no policy yet, but an OS-bound one may be named next.
            return StewardV1.CreateGroupResponse(group: PoliciesMapping.message(group))
        }
        router.registerRead(API.get, policy: .requires(.knownCaller)) { request, _ in
            StewardV1.GetGroupResponse(group: PoliciesMapping.message(try service.group(name: request.name)))
        }
        router.register(API.list, policy: .requires(.knownCaller)) { request, _ in
            let page = try service.list(page: PoliciesMapping.page(size: request.pageSize, token: request.pageToken))
            return StewardV1.ListGroupsResponse(groups: page.items.map(PoliciesMapping.message), nextPageToken: page.nextPageToken ?? "")
        }
        router.register(API.addMembers, policy: .requires(.userAdmin, audited: { .group($0.groupName) })) { request, context in
            let group = try service.addMembers(group: request.groupName, users: request.userNames, call: context.auditedCall)
            await enforcement.desiredStateMoved(.everyConnection)
            return StewardV1.AddGroupMembersResponse(group: PoliciesMapping.message(group))
        }
        router.register(API.removeMember, policy: .requires(.userAdmin, audited: { .group($0.groupName) })) { request, context in
            let group = try service.removeMember(group: request.groupName, user: request.userName, call: context.auditedCall)
            await enforcement.desiredStateMoved(.everyConnection)
            return StewardV1.RemoveGroupMemberResponse(group: PoliciesMapping.message(group))
        }
        router.register(API.delete, policy: .requires(.userAdmin, audited: { .group($0.name) })) { request, context in
            try service.delete(name: request.name, call: context.auditedCall)
            await enforcement.desiredStateMoved(.everyConnection)
            return StewardV1.DeleteGroupResponse()
        }
        router.register(API.importMembers, policy: .requires(.userAdmin, audited: { _ in .none })) { request, context in
            let count = try service.importMembers(csv: request.csv, dryRun: request.dryRun, call: context.auditedCall)
            if !request.dryRun { await enforcement.desiredStateMoved(.everyConnection) }
            return StewardV1.ImportGroupMembersResponse(imported: UInt32(count), dryRun: request.dryRun)
        }
    }
}

import StewardCore
import StewardStore
import StewardWire

/// `steward.v1.Users`: the RPC face of ``UsersService``.
public enum UsersAPI {
    public static func register(in router: inout Router, service: UsersService, enforcement: EnforcementScheduler) {
        typealias API = StewardV1.Users
        router.register(API.create, policy: .requires(.userAdmin, audited: { .user($0.name) })) { request, context in
            let user = try service.create(
                name: request.name, uid: request.uid, permissions: request.permissions.map(PermissionMapping.permission),
                call: context.auditedCall)
            return StewardV1.CreateUserResponse(user: UsersMapping.message(user))
        }
        router.registerRead(API.get, policy: .requires(.knownCaller)) { request, context in
            let (user, mappings) = try service.user(name: request.name, caller: context.caller)
            return StewardV1.GetUserResponse(
                user: UsersMapping.message(user), mappings: (mappings ?? []).map(UsersMapping.message),
                mappingsWithheld: mappings == nil)
        }
        router.register(API.list, policy: .requires(.knownCaller)) { request, _ in
            let page = try service.list(
                page: PageRequest(size: Int(request.pageSize), token: request.pageToken.isEmpty ? nil : request.pageToken))
            return StewardV1.ListUsersResponse(
                users: page.items.map(UsersMapping.message), nextPageToken: page.nextPageToken ?? "")
        }
        router.register(API.grant, policy: .requires(.userAdmin, audited: { .user($0.userName) })) { request, context in
            let user = try service.grant(
                PermissionMapping.permission(request.permission), to: request.userName, call: context.auditedCall)
            return StewardV1.GrantPermissionResponse(user: UsersMapping.message(user))
        }
        router.register(API.revoke, policy: .requires(.userAdmin, audited: { .user($0.userName) })) { request, context in
            let user = try service.revoke(
                PermissionMapping.permission(request.permission), from: request.userName, call: context.auditedCall)
            return StewardV1.RevokePermissionResponse(user: UsersMapping.message(user))
        }
        router.register(API.delete, policy: .requires(.userAdmin, audited: { .user($0.name) })) { request, context in
            try service.delete(name: request.name, call: context.auditedCall)
            await enforcement.desiredStateMoved(.everyConnection)
            return StewardV1.DeleteUserResponse()
        }
        registerMappings(in: &router, service: service, enforcement: enforcement)
        router.register(API.getIdentityTemplate, policy: .requires(.knownCaller)) { _, _ in
            StewardV1.GetIdentityTemplateResponse(template: try service.identityTemplate()?.pattern ?? "")
        }
        router.register(API.setIdentityTemplate, policy: .requires(.userAdmin, audited: { _ in .none })) { request, context in
            let template = try service.setIdentityTemplate(request.template, call: context.auditedCall)
            await enforcement.desiredStateMoved(.everyConnection)
            return StewardV1.SetIdentityTemplateResponse(template: template?.pattern ?? "")
        }
    }

    private static func registerMappings(in router: inout Router, service: UsersService, enforcement: EnforcementScheduler) {
        typealias API = StewardV1.Users
        router.register(
            API.setMapping,
            policy: .requires(.userAdmin, audited: { .user($0.mapping?.userName ?? "", connection: $0.mapping?.connectionKey) })
        ) { request, context in
            let mapping = try service.setMapping(UsersMapping.mappingRequest(request.mapping), call: context.auditedCall)
            await enforcement.desiredStateMoved(mapping.connectionKey.map { .connections([$0]) } ?? .everyConnection)
            return StewardV1.SetMappingResponse(mapping: UsersMapping.message(mapping))
        }
        router.register(
            API.removeMapping, policy: .requires(.userAdmin, audited: { .user($0.userName, connection: $0.connectionKey) })
        ) { request, context in
            try service.removeMapping(
                userName: request.userName, connectionKey: request.connectionKey.isEmpty ? nil : request.connectionKey,
                call: context.auditedCall)
            await enforcement.desiredStateMoved(request.connectionKey.isEmpty ? .everyConnection : .connections([request.connectionKey]))
            return StewardV1.RemoveMappingResponse()
        }
        router.register(API.listMappings, policy: .requires(.selfOrUserAdmin)) { request, context in
            let scope: MappingFilter.Scope
            switch (request.connectionKey.isEmpty, request.defaultsOnly) {
            case (true, false): scope = .any
            case (true, true): scope = .defaults
            case (false, false): scope = .connection(request.connectionKey)
            case (false, true): throw DomainError.invalidArgument("defaults_only", "cannot be combined with connection_key")
            }
            let page = try service.listMappings(
                MappingFilter(userName: request.userName.isEmpty ? nil : request.userName, scope: scope),
                page: PageRequest(size: Int(request.pageSize), token: request.pageToken.isEmpty ? nil : request.pageToken),
                caller: context.caller)
            return StewardV1.ListMappingsResponse(
                mappings: page.items.map(UsersMapping.message), nextPageToken: page.nextPageToken ?? "")
        }
        router.register(API.checkMappings, policy: .requires(.userAdmin)) { request, context in
            let (checks, failures) = try await service.checkMappings(
                connectionKey: request.connectionKey.isEmpty ? nil : request.connectionKey,
                userName: request.userName.isEmpty ? nil : request.userName, caller: context.caller,
                deadline: context.databaseDeadline(orAfter: UsersService.defaultCheckMilliseconds))
            return StewardV1.CheckMappingsResponse(
                checks: checks.map(UsersMapping.message), failures: failures.map(UsersMapping.message))
        }
        router.register(API.importMappings, policy: .requires(.userAdmin, audited: { _ in .none })) { request, context in
            let count = try service.importMappings(csv: request.csv, dryRun: request.dryRun, call: context.auditedCall)
            if !request.dryRun { await enforcement.desiredStateMoved(.everyConnection) }
            return StewardV1.ImportMappingsResponse(imported: UInt32(count), dryRun: request.dryRun)
        }
    }
}

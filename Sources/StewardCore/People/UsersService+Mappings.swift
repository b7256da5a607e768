import StewardStore

/// Users' PostgreSQL identities: set, remove, list.
extension UsersService {
    public func setMapping(_ request: MappingRequest, call: AuditedCall) throws(DomainError) -> IdentityMapping {
        let caller = call.caller
        return try audit.audited(call) {
            () throws(DomainError) in
            try caller.require(.userAdmin, to: "set mappings")
            try IdentityRules.checkUserName(request.userName, field: "mapping.user_name")
            guard let kind = request.kind else {
                throw .invalidArgument("mapping.identity.kind", "must be POSTGRES_USERNAME, IAM_PRINCIPAL, UNSET or NONE")
            }
            let mapping = IdentityMapping(
                userName: request.userName, connectionKey: request.connectionKey,
                identity: try IdentityRules.identity(kind: kind, value: request.value, field: "mapping.identity.value"))
            return try storeCall { () throws(StoreError) in try store.setMapping(mapping) }
        }
    }

    public func removeMapping(userName: String, connectionKey: String?, call: AuditedCall) throws(DomainError) {
        let caller = call.caller
        try audit.audited(call) {
            () throws(DomainError) in
            try caller.require(.userAdmin, to: "remove mappings")
            try storeCall { () throws(StoreError) in try store.removeMapping(userName: userName, connectionKey: connectionKey) }
        }
    }

    /// A known caller may list their own mappings; anyone's needs USER_ADMIN.
    /// With no user named, a caller without USER_ADMIN gets their own.
    /// Paged like every list (at most ``PageRequest/maximumSize`` a page),
    /// so one call never reads every user's mappings at once.
    public func listMappings(_ filter: MappingFilter, page: PageRequest, caller: Caller) throws(DomainError)
        -> Page<IdentityMapping>
    {
        var filter = filter
        if !caller.holds(.userAdmin) {
            guard let own = caller.userName else {
                throw DomainError(.permissionDenied, "\(caller) has no Steward user and so no mappings; listing others' needs USER_ADMIN")
            }
            if let asked = filter.userName, asked != own {
                throw DomainError(.permissionDenied, "\(caller) may list only their own mappings: USER_ADMIN is required for \"\(asked)\"'s")
            }
            filter.userName = own
        }
        let chosen = filter
        return try storeCall { () throws(StoreError) in try store.listMappings(chosen, page: page) }
    }
}

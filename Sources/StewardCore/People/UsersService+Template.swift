import StewardStore

/// The registry-wide identity template (``IdentityTemplate``).
extension UsersService {
    public func identityTemplate() throws(DomainError) -> IdentityTemplate? {
        try storeCall { () throws(StoreError) in try store.identityTemplate() }
    }

    /// Sets the template ("" removes it). What it makes of a user name must
    /// be a name PostgreSQL accepts for a role.
    public func setIdentityTemplate(_ pattern: String, call: AuditedCall) throws(DomainError) -> IdentityTemplate? {
        let caller = call.caller
        return try audit.audited(call) { () throws(DomainError) in
            try caller.require(.userAdmin, to: "set the identity template")
            var template: IdentityTemplate?
            if !pattern.isEmpty {
                guard let parsed = IdentityTemplate(pattern) else {
                    throw .invalidArgument("template", "\"\(pattern)\" must contain \(IdentityTemplate.placeholder) exactly once and no other brace")
                }
                try IdentityRules.checkRoleName(parsed.username(forUser: "u"), field: "template")
                template = parsed
            }
            try storeCall { () throws(StoreError) in try store.setIdentityTemplate(template) }
            return template
        }
    }
}

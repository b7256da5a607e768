import StewardWire

// What each mutating request's audit event names as its target, as its
// service records it (ConnectionsService, SyncService, UsersService), so
// that a denial decided at admission, before the service runs, is recorded
// the same way. Reads strings only: nothing here converts a number.

extension StewardV1.RegisterConnectionRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (displayName, displayName) }
}

extension StewardV1.UpdateConnectionRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (key, key) }
}

extension StewardV1.ValidateConnectionRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (key, key) }
}

extension StewardV1.CompleteSetupRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (key, key) }
}

extension StewardV1.DeactivateConnectionRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (key, key) }
}

extension StewardV1.ActivateConnectionRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (key, key) }
}

extension StewardV1.DeleteConnectionRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (key, key) }
}

extension StewardV1.RotateCredentialsRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (key, key) }
}

extension StewardV1.SyncConnectionRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (key, key) }
}

extension StewardV1.CreateUserRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (name, nil) }
}

extension StewardV1.GrantPermissionRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (userName, nil) }
}

extension StewardV1.RevokePermissionRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (userName, nil) }
}

extension StewardV1.DeleteUserRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (name, nil) }
}

extension StewardV1.SetMappingRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) {
        let key = mapping?.connectionKey ?? ""
        return (mapping?.userName ?? "", key.isEmpty ? nil : key)
    }
}

extension StewardV1.RemoveMappingRequest: AuditTargeted {
    var auditTarget: (target: String?, connectionKey: String?) { (userName, connectionKey.isEmpty ? nil : connectionKey) }
}

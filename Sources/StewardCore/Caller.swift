/// Who is calling, as the kernel reports it (`SO_PEERCRED`), never as the
/// request claims.
public struct Caller: Sendable, Hashable {
    public var uid: UInt32

    public init(uid: UInt32) { self.uid = uid }
}

/// Who may change what. Until the user model lands (users, permissions),
/// APPLICATION_ADMIN is held by root and by the daemon's own uid.
public struct AccessPolicy: Sendable {
    public let daemonUID: UInt32

    public init(daemonUID: UInt32) { self.daemonUID = daemonUID }

    public func isApplicationAdmin(_ caller: Caller) -> Bool {
        caller.uid == 0 || caller.uid == daemonUID
    }

    /// PERMISSION_DENIED unless `caller` holds APPLICATION_ADMIN.
    public func requireApplicationAdmin(_ caller: Caller, to action: String) throws(DomainError) {
        guard isApplicationAdmin(caller) else {
            throw DomainError(.permissionDenied, "uid \(caller.uid) may not \(action): APPLICATION_ADMIN is required")
        }
    }
}

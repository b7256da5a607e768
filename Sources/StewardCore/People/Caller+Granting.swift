import StewardModel
import StewardStore

extension Caller {
    /// PERMISSION_DENIED unless the caller holds every permission in
    /// `permissions`: a USER_ADMIN hands on only what it holds itself, so
    /// USER_ADMIN alone cannot make an APPLICATION_ADMIN (nor make one of
    /// its own creatures one). Root and the daemon's uid hold everything.
    public func requireHolding(_ permissions: Set<Permission>, toGrant action: String) throws(DomainError) {
        let missing = permissions.filter { !holds($0) }.map(\.rawValue).sorted()
        guard missing.isEmpty else {
            let list = missing.joined(separator: ", ")
            throw DomainError(
                .permissionDenied,
                "\(self) may not \(action) \(list): a user admin grants only permissions it holds itself, "
                    + "and \(self) does not hold \(list)")
        }
    }
}

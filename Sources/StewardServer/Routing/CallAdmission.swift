import StewardCore
import StewardWire

/// Decides whether a call may start and who its caller is. Runs on the
/// call's own task, not an I/O queue, because the directory may ask the
/// registry store; it asks once per call, so a new user or a grant takes
/// effect on the next call.
struct CallAdmission: Sendable {
    let callers: any CallerDirectory
    /// Where denials of mutating methods are recorded; nil for a server
    /// without a registry store.
    let audit: AuditTrail?

    /// The caller, or the error that ends the call. Methods open to anyone
    /// skip the lookup (Health must stay cheap) and carry the uid alone.
    func admit(method: String, peer: PeerCredentials) -> Result<Caller, RPCError> {
        let rule = MethodPermissions.rule(for: method)
        guard rule.needs != .anyone else { return .success(.unknown(uid: peer.uid)) }
        let caller: Caller
        do { caller = try callers.identify(uid: peer.uid) } catch { return .failure(error.rpcError) }
        guard caller.isKnown else {
            let message = "uid \(peer.uid) is not a Steward user; only Health and WhoAmI are open to unknown callers"
            if rule.isMutating {
                audit?.record(method, caller, target: nil, connectionKey: nil, status: .unauthenticated, message: message)
            }
            return .failure(RPCError(.unauthenticated, message))
        }
        return .success(caller)
    }
}

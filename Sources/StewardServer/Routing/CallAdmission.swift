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

    /// Whether admitting a call under `rule` asks the directory. Methods open
    /// to anyone skip the lookup (Health must stay cheap) and may run inline
    /// on an I/O queue; the rest must be admitted on their task.
    static func needsLookup(_ rule: MethodPermissions.Rule) -> Bool {
        rule.needs != .anyone
    }

    /// The caller of a call of `method` under `rule` (its entry in
    /// ``MethodPermissions``, looked up once per call by the connection), or
    /// the error that ends the call. Without a lookup the caller carries the
    /// uid alone.
    func admit(method: String, rule: MethodPermissions.Rule, peer: PeerCredentials) -> Result<Caller, RPCError> {
        guard Self.needsLookup(rule) else { return .success(.unknown(uid: peer.uid)) }
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

    /// Where a call under `rule` records a request refused before its
    /// service saw it: the trail for mutating methods, nil for the rest.
    func auditTrail(forMutationsUnder rule: MethodPermissions.Rule) -> AuditTrail? {
        rule.isMutating ? audit : nil
    }
}

import StewardCore
import StewardWire

/// Decides whether a call may start and who its caller is. The directory
/// asks the registry store: one read, on a read connection that no write
/// holds up. On a shared registry that read waits for a server, so it runs
/// on the call's own task, on the ``BlockingExecutor`` (never an I/O queue
/// or the cooperative pool); on embedded SQLite it takes microseconds and
/// a call with a synchronous handler is admitted and answered on its
/// connection's I/O queue (``isPrompt(for:)``). It asks once per
/// call and keeps nothing, so a new user, a grant or a revoke takes effect
/// on the next call, on every daemon sharing the store. (The embedded
/// store may answer from memory, but only what it read since its last
/// write: `RegistryReadCaches` in StewardStore.)
///
/// The decision needs only the method path and the caller: the request is
/// not decoded, let alone mapped to domain values, until the call is
/// admitted, so nothing a refused caller sends reaches the code that
/// converts it (where a bad number once trapped the daemon).
struct CallAdmission: Sendable {
    let callers: any CallerDirectory
    /// Where denials of mutating methods are recorded; nil for a server
    /// without a registry store.
    let audit: AuditTrail?
    /// Keeps unknown callers' attempts from growing the trail without bound.
    let unknownCallerAudit: UnknownCallerAuditFolder?
    /// Who the directory last said is a Steward user, for the connection
    /// slots kept for known callers.
    let recentlyKnown = RecentlyKnownCallers()

    init(callers: any CallerDirectory, audit: AuditTrail?) {
        self.callers = callers
        self.audit = audit
        self.unknownCallerAudit = audit.map { UnknownCallerAuditFolder(trail: $0) }
    }

    enum Decision {
        /// The call goes on, as this caller.
        case admitted(Caller)
        /// Refused before any caller could be held to a permission (unknown
        /// caller, directory failure): the error is the answer.
        case refused(RPCError)
        /// A known caller without the permission the method needs: the
        /// error is the answer, and a mutating method's denial is audited
        /// by the route, which alone can read the request's target.
        case denied(Caller, RPCError)
    }

    /// Whether admitting a call under `rule` asks the directory. Methods open
    /// to anyone skip the lookup (Health must stay cheap).
    static func needsLookup(_ rule: MethodPermissions.Rule) -> Bool {
        rule.needs != .anyone
    }

    /// Whether admitting a call under `rule` can be done on an I/O queue:
    /// it asks nothing, or the directory answers promptly (embedded
    /// SQLite). A shared registry's lookup waits for a server, so it is
    /// made on the call's task.
    func isPrompt(for rule: MethodPermissions.Rule) -> Bool {
        !Self.needsLookup(rule) || callers.answersPromptly
    }

    /// What admission makes of a call.
    enum Admitted {
        /// Run the handler with this context (its caller set).
        case run(ServerCallContext)
        /// Answer with the route's denial (the context names the caller).
        case deny(ServerCallContext, RPCError)
        /// The answer, given before any caller could be held to a permission.
        case answer(CallOutcome)
    }

    /// `context` made ready for its handler (its caller and, for a mutating
    /// method, its audit trail), or the call's answer when it may not run.
    func admit(_ context: ServerCallContext, under rule: MethodPermissions.Rule, peer: PeerCredentials) -> Admitted {
        var context = context
        context.mutationAudit = auditTrail(forMutationsUnder: rule)
        switch admit(method: context.method, rule: rule, peer: peer) {
        case .admitted(let caller):
            context.caller = caller
            return .run(context)
        case .denied(let caller, let denial):
            context.caller = caller
            return .deny(context, denial)
        case .refused(let error):
            return .answer(.failure(error))
        }
    }

    /// The decision for a call of `method` under `rule` (its route's
    /// ``RoutePolicy``, looked up once per call by the connection).
    /// Without a lookup the caller carries the uid alone.
    func admit(method: String, rule: MethodPermissions.Rule, peer: PeerCredentials) -> Decision {
        guard Self.needsLookup(rule) else { return .admitted(.unknown(uid: peer.uid)) }
        let caller: Caller
        do { caller = try callers.identify(uid: peer.uid) } catch { return .refused(error.rpcError) }
        recentlyKnown.note(uid: peer.uid, isKnown: caller.isKnown)
        guard caller.isKnown else {
            let message = "uid \(peer.uid) is not a Steward user; only Health and WhoAmI are open to unknown callers"
            if rule.isMutating {
                unknownCallerAudit?.record(method, caller, message: message)
            }
            return .refused(RPCError(.unauthenticated, message))
        }
        guard rule.needs.admits(caller) else {
            return .denied(caller, RPCError(.permissionDenied, "\(caller) may not call \(method): \(rule.needs.rawValue) is required"))
        }
        return .admitted(caller)
    }

    /// Where a call under `rule` records a request refused before its
    /// service saw it: the trail for mutating methods, nil for the rest.
    func auditTrail(forMutationsUnder rule: MethodPermissions.Rule) -> AuditTrail? {
        rule.isMutating ? audit : nil
    }
}

extension MethodPermission {
    /// Whether a known `caller` may call a method that needs this. A method
    /// whose answer depends on the request (their own records, or anyone's)
    /// admits every known caller and leaves the rest to its service.
    func admits(_ caller: Caller) -> Bool {
        switch self {
        case .anyone, .knownCaller, .selfOrUserAdmin: true
        case .applicationAdmin: caller.holds(.applicationAdmin)
        case .userAdmin: caller.holds(.userAdmin)
        case .eitherAdmin: caller.holds(.applicationAdmin) || caller.holds(.userAdmin)
        }
    }
}

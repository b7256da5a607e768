import StewardWire

/// One method's handler, with its request decoding and response encoding,
/// and the policy it was registered with.
public struct RPCRoute: Sendable {
    public let method: any RPCMethodDescription
    /// What the caller needs and whether calls are audited (from its ``RoutePolicy``).
    let rule: MethodPermissions.Rule
    let invoke: @Sendable (_ payload: [UInt8], _ context: ServerCallContext, _ sink: any StreamSink) async -> CallOutcome
    /// For handlers that answer at once, without awaiting: run on the
    /// connection's I/O queue when nothing they ask can keep them waiting,
    /// sparing the hop to a task and back (see `registerInline`, `registerRead`).
    var invokeInline: (@Sendable (_ payload: [UInt8], _ context: ServerCallContext) -> CallOutcome)?
    /// Answers a call that admission denied: audits a mutating method's
    /// denial with the target its policy reads from the request (decoded
    /// only now, after the decision, within the decoding budget, and never
    /// mapped), and returns the denial.
    let deny: @Sendable (_ payload: [UInt8], _ context: ServerCallContext, _ denial: RPCError) -> CallOutcome

    init<Request: ProtoMessage>(
        method: any RPCMethodDescription, policy: RoutePolicy<Request>,
        invoke: @escaping @Sendable (_ payload: [UInt8], _ context: ServerCallContext, _ sink: any StreamSink) async -> CallOutcome,
        invokeInline: (@Sendable (_ payload: [UInt8], _ context: ServerCallContext) -> CallOutcome)? = nil
    ) {
        self.method = method
        self.rule = policy.rule
        self.invoke = invoke
        self.invokeInline = invokeInline
        let auditTarget = policy.auditTarget
        self.deny = { payload, context, denial in
            if let audit = context.mutationAudit {
                // A request that does not decode still leaves its denial on record, without a target.
                let target = auditTarget.flatMap { read in
                    (try? Request(serializedBytes: payload, budget: context.decodingBudget)).map(read)
                }
                audit.record(
                    context.method, context.caller, target: target?.target, connectionKey: target?.connectionKey,
                    status: denial.code, message: denial.message)
            }
            return .failure(denial)
        }
    }
}

extension ProtoMessage {
    /// Decodes a request within the call's budget; a failure is answered (and,
    /// for a mutating method, audited) as the call's outcome.
    package static func decodeRequest(_ payload: [UInt8], _ context: ServerCallContext) -> Result<Self, RPCError> {
        do throws(ProtoDecodingError) {
            return .success(try Self(serializedBytes: payload, budget: context.decodingBudget))
        } catch {
            context.auditRejectedRequest(error.rpcError)
            return .failure(error.rpcError)
        }
    }
}

/// Handlers keyed by method path. Built before the server starts and fixed after.
public struct Router: Sendable {
    private(set) var routes: [String: RPCRoute] = [:]
    /// Whether the registry the handlers read answers promptly
    /// (``RegistryStore/readsArePrompt``): see ``registerRead(_:policy:handler:)``.
    let registryReadsArePrompt: Bool

    public init(registryReadsArePrompt: Bool = false) {
        self.registryReadsArePrompt = registryReadsArePrompt
    }

    /// The paths of every routed method, sorted.
    public var methodPaths: [String] { routes.keys.sorted() }

    /// What every routed method needs and whether it is audited: the
    /// permission table, as the routes declared it.
    public var permissions: [String: MethodPermissions.Rule] { routes.mapValues(\.rule) }

    func route(for path: String) -> RPCRoute? { routes[path] }

    /// Routes a unary method to `handler`.
    public mutating func register<Request, Response>(
        _ method: UnaryMethod<Request, Response>, policy: RoutePolicy<Request>,
        handler: @escaping @Sendable (Request, ServerCallContext) async throws -> Response
    ) {
        add(RPCRoute(method: method, policy: policy) { payload, context, _ in
            let request: Request
            switch Request.decodeRequest(payload, context) {
            case .success(let decoded): request = decoded
            case .failure(let error): return .failure(error)
            }
            let context = context.auditing(request, under: policy)
            do {
                return .ok(try await handler(request, context).serializedBytes())
            } catch {
                return .failure(error, context: context)
            }
        })
    }

    /// Routes a unary method to a handler that answers at once from memory,
    /// without blocking or awaiting (a status read). It runs on the
    /// connection's I/O queue, and its answer goes out with the read batch
    /// it arrived in, when admitting the call asks nothing that can wait:
    /// the method is open to anyone, or the caller directory answers
    /// promptly. Otherwise it runs as a task like any other.
    public mutating func registerInline<Request, Response>(
        _ method: UnaryMethod<Request, Response>, policy: RoutePolicy<Request>,
        handler: @escaping @Sendable (Request, ServerCallContext) throws -> Response
    ) {
        // A mutating call writes (its audit row, its denial's): never inline.
        precondition(!policy.rule.isMutating, "\(method.path) changes the registry; route it with register")
        let answer: @Sendable ([UInt8], ServerCallContext) -> CallOutcome = { payload, context in
            let request: Request
            switch Request.decodeRequest(payload, context) {
            case .success(let decoded): request = decoded
            case .failure(let error): return .failure(error)
            }
            let context = context.auditing(request, under: policy)
            do {
                return .ok(try handler(request, context).serializedBytes())
            } catch {
                return .failure(error, context: context)
            }
        }
        add(RPCRoute(method: method, policy: policy, invoke: { payload, context, _ in answer(payload, context) }, invokeInline: answer))
    }

    /// Routes a read-only unary method to a synchronous handler: its work
    /// is a registry read or two, and on a registry whose reads are prompt
    /// (embedded SQLite) the call, its caller lookup included, is answered
    /// on the connection's I/O queue like Health; on a shared registry it
    /// runs as a task on the blocking pool like any other call.
    public mutating func registerRead<Request, Response>(
        _ method: UnaryMethod<Request, Response>, policy: RoutePolicy<Request>,
        handler: @escaping @Sendable (Request, ServerCallContext) throws -> Response
    ) {
        if registryReadsArePrompt {
            registerInline(method, policy: policy, handler: handler)
        } else {
            register(method, policy: policy) { request, context in try handler(request, context) }
        }
    }

    /// Routes a server-streaming method to `handler`, which sends its
    /// messages through the stream and returns when the stream is complete.
    public mutating func register<Request, Response>(
        _ method: ServerStreamingMethod<Request, Response>, policy: RoutePolicy<Request>,
        handler: @escaping @Sendable (Request, ServerCallContext, ResponseStream<Response>) async throws -> Void
    ) {
        add(RPCRoute(method: method, policy: policy) { payload, context, sink in
            let request: Request
            switch Request.decodeRequest(payload, context) {
            case .success(let decoded): request = decoded
            case .failure(let error): return .failure(error)
            }
            let context = context.auditing(request, under: policy)
            do {
                try await handler(request, context, ResponseStream(sink: sink))
                return .ok([])
            } catch {
                return .failure(error, context: context)
            }
        })
    }

    private mutating func add(_ route: RPCRoute) {
        precondition(routes[route.method.path] == nil, "\(route.method.path) is routed twice")
        routes[route.method.path] = route
    }
}

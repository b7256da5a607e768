import StewardWire

/// `grpc.health.v1.Health`: the standard health check, so generic tooling
/// can ask whether the daemon serves. A service name is known when the
/// router routes at least one of its methods.
enum HealthService {
    static func register(in router: inout Router) {
        router.registerInline(GrpcHealthV1.Health.check, policy: .requires(.anyone)) { request, context in
            let runtime = try context.requireRuntime()
            guard runtime.servesService(named: request.service) || runtime.health.isDependency(request.service) else {
                throw RPCError(.notFound, "unknown service \"\(request.service)\"")
            }
            return GrpcHealthV1.HealthCheckResponse(status: runtime.health.status(of: request.service))
        }
        router.register(GrpcHealthV1.Health.watch, policy: .requires(.anyone)) { request, context, stream in
            let runtime = try context.requireRuntime()
            guard runtime.servesService(named: request.service) || runtime.health.isDependency(request.service) else {
                // gRPC's Watch reports an unknown service rather than failing,
                // since the service may appear later.
                try await stream.send(GrpcHealthV1.HealthCheckResponse(status: .serviceUnknown))
                return
            }
            for await status in runtime.health.watch(service: request.service) {
                try await stream.send(GrpcHealthV1.HealthCheckResponse(status: status))
            }
        }
    }
}

extension ServerCallContext {
    func requireRuntime() throws -> ServerRuntime {
        guard let runtime else { throw RPCError(.unavailable, "no server behind this call") }
        return runtime
    }
}

import StewardCore
import StewardWire

/// `steward.v1.Connections/Sync`: the streaming RPC face of ``SyncService``.
public enum SyncAPI {
    public static func register(
        in router: inout Router, service: SyncService, enforcement: EnforcementScheduler, metrics: ServerMetrics
    ) {
        router.register(StewardV1.Connections.sync, policy: .requires(.applicationAdmin, audited: { .connection($0.key) })) { request, context, stream in
            let clock = ContinuousClock()
            let started = clock.now
            var succeeded = false
            defer {
                metrics.recordSync(outcome: succeeded ? "ok" : "error", duration: clock.now - started)
                // What the scan and the store freed goes back to the system.
                GlibcMalloc.trimSoon()
            }
            let outcome = try await service.sync(
                key: request.key, call: context.auditedCall,
                deadline: context.databaseDeadline(orAfter: SyncService.defaultMilliseconds)
            ) { (event) async throws(DomainError) in
                do {
                    try await stream.send(DataSourcesMapping.progress(event))
                } catch {
                    // The call ended (cancelled, deadline, connection gone): stop scanning.
                    throw DomainError(.cancelled, "the sync's call ended")
                }
            }
            // Tables added or disabled change what the connection's policies cover.
            succeeded = true
            await enforcement.desiredStateMoved(.connections([request.key]))
            try await stream.send(DataSourcesMapping.progress(outcome))
        }
    }
}

import Glibc
import Logging
import StewardCore
import StewardPostgres
import StewardStore
import StewardWire

/// The daemon as stewardd runs it: the registry's services over one store
/// and one PostgreSQL executor, callers known by the store's users, and
/// denials audited. One place, so that the daemon and the tests that
/// enumerate its methods build the same server.
public enum RegistryServer {
    /// - Parameter callers: who is known; by default the store's users, with
    ///   root and the daemon's uid as administrators.
    /// - Parameter enforcement: when enforcement runs and with what
    ///   (``enforcementScheduler(store:enforcer:metrics:logger:)``); by default one
    ///   with no enforcer, whose Enforce calls answer FAILED_PRECONDITION.
    public static func make(
        configuration: ServerConfiguration, store: any RegistryStore, executor: PostgresExecutor,
        callers: (any CallerDirectory)? = nil, enforcement: EnforcementScheduler? = nil, logger: Logger
    ) -> StewardServer {
        var configuration = configuration
        configuration.storeBackend = store.backend
        let audit = AuditTrail(
            store: store,
            onWriteFailure: { failure in
                logger.error("an audit event could not be written", metadata: ["error": "\(String(reflecting: failure))"])
            })
        let enforcement =
            enforcement ?? enforcementScheduler(store: store, enforcer: nil, metrics: configuration.metrics, logger: logger)
        var router = Router(registryReadsArePrompt: store.readsArePrompt)
        let connections = ConnectionsService(store: store, prober: LiveConnectionProber(executor: executor), audit: audit)
        ConnectionsAPI.register(in: &router, service: connections, enforcement: enforcement, metrics: configuration.metrics)
        configuration.gaugeSources.append(GovernedConnectionCounts.gaugeSource(connections))
        UsersAPI.register(
            in: &router, service: UsersService(store: store, roles: LiveLoginRoleProbe(executor: executor), audit: audit),
            enforcement: enforcement)
        SyncAPI.register(
            in: &router, service: SyncService(store: store, scanner: LiveTableScanner(executor: executor), audit: audit),
            enforcement: enforcement, metrics: configuration.metrics)
        GroupsAPI.register(in: &router, service: GroupsService(store: store, audit: audit), enforcement: enforcement)
        PoliciesAPI.register(in: &router, service: PoliciesService(store: store, audit: audit), enforcement: enforcement)
        DataSourcesAPI.register(in: &router, directory: DataSourceDirectory(store: store))
        AuditAPI.register(in: &router, log: AuditLog(store: store))
        let server = StewardServer(
            configuration: configuration, router: router, callers: callers ?? RegistryCallerDirectory(store: store),
            audit: audit, logger: logger)
        if let shared = store as? PostgresRegistryStore {
            // Health tells "the registry is not answering" apart from "the daemon is down".
            server.watchDependency(registryHealthService, every: registryProbeInterval) {
                shared.answers(withinMilliseconds: registryProbeTimeoutMilliseconds)
            }
        }
        return server
    }

    /// The Health service name that reports the shared registry.
    public static let registryHealthService = "steward.v1.Registry"
    static let registryProbeInterval = Duration.seconds(1)
    static let registryProbeTimeoutMilliseconds = 1_000

    /// When enforcement runs (``EnforcementScheduler``), with `enforcer` as
    /// the PostgreSQL side (nil: not configured). Background runs are logged:
    /// one that changed something at notice level, a failure as a warning;
    /// every run is counted in `metrics` (the server's, ``ServerConfiguration/metrics``).
    public static func enforcementScheduler(
        store: any RegistryStore, enforcer: (any PolicyEnforcer)?, metrics: ServerMetrics, logger: Logger
    ) -> EnforcementScheduler {
        EnforcementScheduler(
            store: store, enforcer: enforcer, daemonUID: getuid(), auditMethod: StewardV1.Policies.enforce.path,
            report: { result in
                switch result.outcome {
                case .success(let outcome) where outcome.statementCount > 0:
                    metrics.recordEnforcement(outcome: "changed", duration: result.duration)
                    logger.notice(
                        "enforcement changed grants",
                        metadata: ["connection": "\(result.connectionKey)", "summary": "\(outcome.auditSummary)"])
                case .success:
                    metrics.recordEnforcement(outcome: "unchanged", duration: result.duration)
                    logger.debug("enforcement found nothing to change", metadata: ["connection": "\(result.connectionKey)"])
                case .failure(let error):
                    metrics.recordEnforcement(outcome: "error", duration: result.duration)
                    logger.warning(
                        "enforcement could not run", metadata: ["connection": "\(result.connectionKey)", "reason": "\(error)"])
                }
            })
    }

    /// The daemon's rechecks of ACTIVE and UNHEALTHY connections, every
    /// `interval`, logged: a change of state at notice level, a recheck
    /// that could not run as a warning; each counted in `metrics`.
    public static func recheckSchedule(
        store: any RegistryStore, executor: PostgresExecutor, interval: Duration, metrics: ServerMetrics, logger: Logger
    ) -> RecheckSchedule {
        RecheckSchedule(
            store: store, service: ConnectionsService(store: store, prober: LiveConnectionProber(executor: executor)),
            interval: interval, actor: getuid(),
            report: { result in
                metrics.recordRecheck(state: (try? result.after.get())?.rawValue ?? "error")
                switch result.after {
                case .success(let state) where state != result.before:
                    logger.notice(
                        "recheck changed a connection's state",
                        metadata: ["connection": "\(result.key)", "from": "\(result.before.rawValue)", "to": "\(state.rawValue)"])
                case .success:
                    logger.debug("recheck kept a connection's state", metadata: ["connection": "\(result.key)"])
                case .failure(let error):
                    logger.warning("recheck could not run", metadata: ["connection": "\(result.key)", "reason": "\(error)"])
                }
            },
            reportListFailure: { error in
                logger.warning(
                    "rechecks could not list the connections; trying again next round", metadata: ["reason": "\(error)"])
            })
    }
}

import Glibc
import Logging
import StewardCore
import StewardPostgres
import StewardStore

/// The daemon as stewardd runs it: the registry's services over one store
/// and one PostgreSQL executor, callers known by the store's users, and
/// denials audited. One place, so that the daemon and the tests that
/// enumerate its methods build the same server.
public enum RegistryServer {
    /// - Parameter callers: who is known; by default the store's users, with
    ///   root and the daemon's uid as administrators.
    public static func make(
        configuration: ServerConfiguration, store: any RegistryStore, executor: PostgresExecutor,
        callers: (any CallerDirectory)? = nil, logger: Logger
    ) -> StewardServer {
        var configuration = configuration
        configuration.storeBackend = store.backend
        let audit = AuditTrail(
            store: store,
            onWriteFailure: { failure in
                logger.error("an audit event could not be written", metadata: ["error": "\(String(reflecting: failure))"])
            })
        var router = Router()
        let connections = ConnectionsService(store: store, prober: LiveConnectionProber(executor: executor), audit: audit)
        ConnectionsAPI.register(in: &router, service: connections)
        configuration.gaugeSources.append(GovernedConnectionCounts.gaugeSource(connections))
        UsersAPI.register(
            in: &router, service: UsersService(store: store, roles: LiveLoginRoleProbe(executor: executor), audit: audit))
        SyncAPI.register(
            in: &router, service: SyncService(store: store, scanner: LiveTableScanner(executor: executor), audit: audit))
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

    /// The daemon's rechecks of ACTIVE and UNHEALTHY connections, every
    /// `interval`, logged: a change of state at notice level, a recheck
    /// that could not run as a warning.
    public static func recheckSchedule(
        store: any RegistryStore, executor: PostgresExecutor, interval: Duration, logger: Logger
    ) -> RecheckSchedule {
        RecheckSchedule(
            store: store, service: ConnectionsService(store: store, prober: LiveConnectionProber(executor: executor)),
            interval: interval, actor: getuid(),
            report: { result in
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

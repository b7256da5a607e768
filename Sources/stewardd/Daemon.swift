import ArgumentParser
import Dispatch
import Foundation
import Logging
import StewardCore
import StewardPostgres
import StewardServer
import StewardStore
import StewardWire

/// Runs the server until SIGTERM or SIGINT, then drains it.
///
/// A type of its own (not top-level code) so that the signal handlers are
/// not main-actor closures running on another queue.
struct Daemon {
    let settings: DaemonSettings

    func run() async throws {
        // First, while few threads have allocated (GlibcMalloc).
        let allocatorConfigured = GlibcMalloc.configureForDaemon()
        let logger = makeLogger()
        if !allocatorConfigured {
            logger.notice("the allocator keeps its defaults: glibc's mallopt was not found or refused the arena limit")
        }
        do {
            try CoreDumps.disable()
        } catch {
            try refuseToStart(error, logger: logger)
        }
        let environment = ProcessInfo.processInfo.environment
        var configuration = settings.server
        do {
            if let inherited = try SystemdActivation.inheritedListener(environment: environment) {
                configuration.inheritedListener = inherited
                configuration.socketPath = SystemdActivation.boundPath(of: inherited) ?? "(socket handed over by systemd)"
            }
        } catch {
            try refuseToStart(error, logger: logger)
        }
        let notifier = SystemdNotifier(environment: environment)
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT])
        // The state directory first: its lock keeps a second daemon from
        // using the same store, and a key problem must stop us before we serve.
        let state: StateDirectory
        do {
            state = try StateDirectory.open(at: settings.stateDirectory, sharedRegistry: settings.sharedRegistry)
        } catch {
            try refuseToStart(error, logger: logger)
        }
        defer { state.close() }
        let executor = PostgresExecutor()
        // The PostgreSQL side of enforcement, on the same executor (and so
        // the same per-server bulkheads) as validation and sync.
        let enforcement = RegistryServer.enforcementScheduler(
            store: state.store, enforcer: LivePolicyEnforcer(executor: executor), metrics: configuration.metrics,
            logger: logger)
        let server = RegistryServer.make(
            configuration: configuration, store: state.store, executor: executor, enforcement: enforcement,
            logger: logger)
        do {
            try server.start()
        } catch {
            try refuseToStart(error, logger: logger)
        }
        logger.info("state directory open", metadata: ["path": "\(state.path)", "store": "\(state.store.backend)"])
        tell(notifier.ready, logger: logger)
        let rechecks = settings.recheckInterval.map { interval in
            let schedule = RegistryServer.recheckSchedule(
                store: state.store, executor: executor, interval: interval, metrics: configuration.metrics, logger: logger)
            return Task { await schedule.run() }
        }
        // Enforcement repeats on the recheck interval: drift is repaired and
        // OS groups are read afresh even when nothing in the registry changed.
        let enforcementRounds = settings.recheckInterval.map { interval in
            Task { await enforcement.run(every: interval) }
        }
        let received = await signals.next()
        logger.info("received signal, draining", metadata: ["signal": "\(received)"])
        tell(notifier.stopping, logger: logger)
        // Not waited for: a recheck in the middle of a validation ends with
        // the process (its write, if any, fails on the closed store).
        rechecks?.cancel()
        enforcementRounds?.cancel()
        await server.shutDown()
    }

    /// The service manager not hearing us is worth a warning, not a stop:
    /// systemd then times the start out itself and says so.
    private func tell(_ notify: () throws(SystemCallError) -> Void, logger: Logger) {
        do { try notify() } catch {
            logger.warning("cannot notify the service manager", metadata: ["error": "\(error)"])
        }
    }

    /// Says why on stderr (plainly, for the person starting the daemon) and
    /// in the log, then exits 1.
    private func refuseToStart(_ error: any Error, logger: Logger) throws -> Never {
        // The log gets the cause too (SQLite's or PostgreSQL's own words);
        // stderr gets the message meant for the person starting the daemon.
        logger.critical("cannot start", metadata: ["reason": "\(String(reflecting: error))"])
        FileHandle.standardError.write(Data("stewardd: \(error)\n".utf8))
        throw ExitCode(1)
    }

    private func makeLogger() -> Logger {
        let level = settings.logLevel
        let format = settings.logFormat
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .text: handler = StreamLogHandler.standardError(label: label)
            case .json: handler = JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
        return Logger(label: "stewardd")
    }
}

/// Delivers process signals as async values instead of running a C handler.
final class SignalWatcher {
    private let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        let queue = DispatchQueue(label: "steward.signals")
        sources = signals.map { number in
            // The default action would kill the process before the source sees it.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    func next() async -> Int32 {
        for await number in stream { return number }
        return 0
    }
}

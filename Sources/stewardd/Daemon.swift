import ArgumentParser
import Dispatch
import Foundation
import Logging
import StewardServer

/// Runs the server until SIGTERM or SIGINT, then drains it.
///
/// A type of its own (not top-level code) so that the signal handlers are
/// not main-actor closures running on another queue.
struct Daemon {
    let settings: DaemonSettings

    func run() async throws {
        let logger = makeLogger()
        let server = StewardServer(configuration: settings.server, logger: logger)
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT])
        do {
            try server.start()
        } catch {
            logger.critical("cannot start", metadata: ["reason": "\(error)"])
            FileHandle.standardError.write(Data("stewardd: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let received = await signals.next()
        logger.info("received signal, draining", metadata: ["signal": "\(received)"])
        await server.shutDown()
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

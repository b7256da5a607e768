import ArgumentParser
import Foundation
import StewardWire

/// `steward connection sync`: turns the tables of an ACTIVE connection into
/// data sources, printing each database as the daemon finishes scanning it.
struct SyncConnection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Find the connection's tables and record them as data sources.",
        discussion: """
            Needs APPLICATION_ADMIN and an ACTIVE connection. Prints each governed database \
            as it is scanned, then what changed; on a terminal, standard error also shows \
            databases done, tables seen and the time elapsed, on one line rewritten in place. Exits 0 when every database was scanned; \
            exits 2 when some could not be (their data sources stay as they were). When none \
            can be scanned, or the call is refused, it exits by its status class as usual. \
            --timeout bounds the whole sync (default 120 s). --json prints each message as one JSON object \
            per line.
            """)

    @OptionGroup var options: ClientOptions
    @Argument var key: String

    func run() async throws {
        let client = try options.connect()
        defer { client.close() }
        var failedScans = 0
        var summary: StewardV1.SyncSummary?
        let meter = SyncProgressLine.wanted(json: options.json) ? SyncProgressLine() : nil
        await meter?.draw()
        let ticker = meter.map { meter in Task { await meter.tick() } }
        defer { ticker?.cancel() }
        do {
            for try await progress in client.stream(
                StewardV1.Connections.sync, .init(key: key), timeout: options.timeout(for: StewardV1.Connections.sync)
            ) {
                let line = Data((self.line(progress) + "\n").utf8)
                if let meter {
                    await meter.printAbove(line)
                } else {
                    FileHandle.standardOutput.write(line)
                }
                switch progress.event {
                case .database(let scan):
                    if scan.code != 0 { failedScans += 1 }
                    await meter?.databaseScanned(tables: Int(scan.tables))
                case .summary(let last): summary = last
                case nil: break
                }
            }
            ticker?.cancel()
            await meter?.clear()
        } catch let error as RPCError {
            ticker?.cancel()
            await meter?.clear()
            throw CommandFailure(error)
        }
        // The summary is what says the sync was stored; a stream that ends
        // without one must not pass for a successful sync.
        guard let summary else {
            throw CommandFailure(RPCError(.internalError, "the daemon ended the sync without a summary"))
        }
        // Like mapping check: a database left unscanned is not a failed call,
        // but scripts must be able to tell it apart from a complete sync.
        if failedScans > 0 || !summary.databasesNotScanned.isEmpty { throw ExitCode(2) }
    }

    /// One line per message, written at once so each database shows as it is
    /// scanned. With --json the line is the message itself (JSON Lines), not
    /// the pretty-printed form of `options.emit`, which would span lines.
    private func line(_ progress: StewardV1.SyncProgress) -> String {
        options.json
            ? ProtoJSON.encode(progress, pretty: false)
            : TerminalText.escapedKeepingLineBreaks(SyncText.render(progress))
    }
}

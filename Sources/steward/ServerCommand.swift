import ArgumentParser
import StewardWire

/// `steward server info|stats|metrics`.
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Show what the daemon is and how it is doing.",
        subcommands: [Info.self, Stats.self, Metrics.self])

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Version, uptime, store and limits.")

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let info = try await options.call(StewardV1.Server.info, StewardV1.ServerInfoRequest())
            options.emit(info) { Self.text(info) }
        }

        static func text(_ info: StewardV1.ServerInfoResponse) -> String {
            let limits = info.limits ?? StewardV1.ServerLimits()
            return """
                version           \(info.version)
                protocol          steward.rpc.v\(info.protocolVersion)
                pid               \(info.pid)
                uptime            \(formatDuration(milliseconds: info.uptimeMs))
                socket            \(info.socketPath)
                store             \(info.storeBackend)
                limits
                  frame           \(limits.maxFrameBytes) bytes
                  calls/conn      \(limits.maxCallsInFlightPerConnection)
                  connections     \(limits.maxConnections)
                  buffered/conn   \(limits.maxBufferedBytesPerConnection) bytes
                  idle timeout    \(formatDuration(milliseconds: UInt64(limits.idleTimeoutMs)))
                """
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Calls by method and status, with latency percentiles.")

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let stats = try await options.call(StewardV1.Server.stats, StewardV1.ServerStatsRequest())
            options.emit(stats) { Self.text(stats) }
        }

        static func text(_ stats: StewardV1.ServerStatsResponse) -> String {
            var lines = [
                "uptime \(formatDuration(milliseconds: stats.uptimeMs)), \(stats.openConnections) open connections "
                    + "(\(stats.acceptedConnections) accepted, \(stats.refusedConnections) refused), "
                    + "\(stats.callsInFlight) calls in flight",
                "",
                pad("METHOD", 40) + pad("CALLS", 10) + pad("P50 µs", 10) + pad("P99 µs", 10) + "STATUSES",
            ]
            for method in stats.methods {
                let statuses = method.statuses
                    .map { "\(StatusCode(rawValue: $0.code).name)=\($0.count)" }
                    .joined(separator: " ")
                lines.append(
                    pad(method.method, 40) + pad("\(method.calls)", 10) + pad("\(method.latencyP50Us)", 10)
                        + pad("\(method.latencyP99Us)", 10) + statuses)
            }
            return lines.joined(separator: "\n")
        }
    }
}

/// A fixed-width column cell, escaped (``TerminalText``) like every cell.
func pad(_ text: String, _ width: Int) -> String {
    let text = TerminalText.escaped(text)
    return text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

func formatDuration(milliseconds: UInt64) -> String {
    let seconds = milliseconds / 1000
    if seconds < 60 { return "\(Double(milliseconds) / 1000) s" }
    let (hours, rest) = seconds.quotientAndRemainder(dividingBy: 3600)
    let (minutes, secs) = rest.quotientAndRemainder(dividingBy: 60)
    return hours > 0 ? "\(hours)h \(minutes)m \(secs)s" : "\(minutes)m \(secs)s"
}

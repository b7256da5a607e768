import Glibc
import Logging
import StewardServer
import StewardWire

/// The daemon's settings, resolved from flags, then environment, then defaults.
struct DaemonSettings {
    /// System mode: the team's daemon, at the system paths (``StewardPaths``).
    var isSystemMode: Bool
    var stateDirectory: String
    /// Shared mode's PostgreSQL registry; nil for the embedded SQLite store.
    var sharedRegistry: String?
    var server: ServerConfiguration
    var logLevel: Logger.Level
    var logFormat: LogFormat
    /// nil: rechecks off.
    var recheckInterval: Duration?

    enum LogFormat: String { case text, json }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    init(command: StewarddCommand, environment: [String: String]) throws {
        func value(_ flag: String?, _ variable: String) -> String? {
            flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
        }
        func number(_ flag: Int?, _ variable: String, name: String, range: ClosedRange<Int>) throws -> Int? {
            let raw: Int?
            if let flag {
                raw = flag
            } else if let text = environment[variable], !text.isEmpty {
                guard let parsed = Int(text) else { throw Invalid(description: "\(variable)=\(text) is not a whole number") }
                raw = parsed
            } else {
                raw = nil
            }
            if let raw, !range.contains(raw) {
                throw Invalid(description: "--\(name) must be between \(range.lowerBound) and \(range.upperBound), not \(raw)")
            }
            return raw
        }

        isSystemMode = try command.system || Self.flagVariable("STEWARD_SYSTEM", in: environment)
        stateDirectory = value(command.stateDir, "STEWARD_STATE_DIR")
            ?? (isSystemMode ? StewardPaths.systemStateDirectory : StewardPaths.defaultStateDirectory(environment: environment))
        sharedRegistry = value(command.storeUrl, "STEWARD_STORE_URL")
        server = ServerConfiguration(
            socketPath: value(command.socket, "STEWARD_SOCKET")
                ?? (isSystemMode ? StewardPaths.defaultSystemSocketPath : StewardPaths.socketPath(inStateDirectory: stateDirectory)))
        if let group = value(command.socketGroup, "STEWARD_SOCKET_GROUP") {
            server.socketGroupID = try Self.groupID(named: group)
        } else if isSystemMode {
            guard let entry = getgrnam(StewardPaths.systemGroup) else {
                throw Invalid(description: "system mode: there is no group \(StewardPaths.systemGroup) to own the socket; "
                    + "create it with `groupadd --system \(StewardPaths.systemGroup)` (scripts/install.sh does) or give --socket-group")
            }
            server.socketGroupID = entry.pointee.gr_gid
        }
        var limits = ServerLimits()
        if let v = try number(command.maxFrameBytes, "STEWARD_MAX_FRAME_BYTES", name: "max-frame-bytes", range: 1024...(64 << 20)) {
            limits.maxFrameBytes = v
        }
        if let v = try number(command.maxCallsPerConnection, "STEWARD_MAX_CALLS_PER_CONNECTION", name: "max-calls-per-connection", range: 1...65536) {
            limits.maxCallsInFlightPerConnection = v
        }
        if let v = try number(command.maxConnections, "STEWARD_MAX_CONNECTIONS", name: "max-connections", range: 1...65536) {
            limits.maxConnections = v
        }
        if let v = try number(command.maxBufferedBytes, "STEWARD_MAX_BUFFERED_BYTES", name: "max-buffered-bytes", range: 1024...(1 << 30)) {
            limits.maxBufferedBytesPerConnection = v
        }
        if let v = try number(command.idleTimeoutMs, "STEWARD_IDLE_TIMEOUT_MS", name: "idle-timeout-ms", range: 10...86_400_000) {
            limits.idleTimeoutMilliseconds = v
        }
        server.limits = limits
        if let v = try number(command.drainGraceMs, "STEWARD_DRAIN_GRACE_MS", name: "drain-grace-ms", range: 0...3_600_000) {
            server.drainGraceMilliseconds = v
        }

        let recheckSeconds = try number(
            command.recheckIntervalS, "STEWARD_RECHECK_INTERVAL_S", name: "recheck-interval-s", range: 0...604_800) ?? 900
        recheckInterval = recheckSeconds == 0 ? nil : .seconds(recheckSeconds)

        let levelText = value(command.logLevel, "STEWARD_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw Invalid(description: "unknown log level \"\(levelText)\"; use trace, debug, info, notice, warning, error or critical")
        }
        logLevel = level
        let formatText = value(command.logFormat, "STEWARD_LOG_FORMAT") ?? "text"
        guard let format = LogFormat(rawValue: formatText.lowercased()) else {
            throw Invalid(description: "unknown log format \"\(formatText)\"; use text or json")
        }
        logFormat = format
    }

    /// A yes/no variable: 1/true/yes or 0/false/no (empty: unset).
    private static func flagVariable(_ name: String, in environment: [String: String]) throws -> Bool {
        guard let text = environment[name]?.lowercased(), !text.isEmpty else { return false }
        switch text {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw Invalid(description: "\(name)=\(text) is not 1 or 0")
        }
    }

    private static func groupID(named name: String) throws -> gid_t {
        if let number = gid_t(name) { return number }
        guard let entry = getgrnam(name) else {
            throw Invalid(description: "no group named \"\(name)\" for --socket-group")
        }
        return entry.pointee.gr_gid
    }
}

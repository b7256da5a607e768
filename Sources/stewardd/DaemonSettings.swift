import Foundation
import Glibc
import Logging
import StewardServer
import StewardWire

/// The daemon's settings, each resolved the same way (``SettingLayers``):
/// flag, environment, config file (`--config`, or /etc/steward/stewardd.toml
/// in system mode), default.
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
    /// Every setting's effective value and where it came from, in
    /// ``DaemonSettingKey`` order (`--print-config`).
    var effective: [(key: DaemonSettingKey, value: String, origin: SettingOrigin)]
    /// The config file read, if any.
    var configFile: String?

    enum LogFormat: String { case text, json }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    init(command: StewarddCommand, environment: [String: String]) throws {
        let explicitConfig = command.config ?? environment["STEWARD_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        var file = try explicitConfig.map(ConfigFile.load(path:))
        var layers = SettingLayers(flags: Self.flags(of: command), environment: environment, file: file)
        isSystemMode = try layers.yesNo(.system)
        if isSystemMode, file == nil, FileManager.default.fileExists(atPath: ConfigFile.systemPath) {
            file = try ConfigFile.load(path: ConfigFile.systemPath)
            layers = SettingLayers(flags: layers.flags, environment: environment, file: file)
            _ = try layers.yesNo(.system)
        }
        configFile = file?.path
        let system = isSystemMode

        stateDirectory = layers.text(.stateDir, default: system
            ? (StewardPaths.systemStateDirectory, .systemMode)
            : (StewardPaths.defaultStateDirectory(environment: environment.filter { $0.key != "STEWARD_STATE_DIR" }), .builtIn))!
        sharedRegistry = layers.text(.storeURL, default: nil)
        server = ServerConfiguration(socketPath: layers.text(.socket, default: system
            ? (StewardPaths.defaultSystemSocketPath, .systemMode)
            : (StewardPaths.socketPath(inStateDirectory: stateDirectory), .builtIn))!)
        if let group = layers.text(.socketGroup, default: system ? (StewardPaths.systemGroup, .systemMode) : nil) {
            server.socketGroupID = try Self.groupID(named: group, systemDefault: system && layers.given(.socketGroup) == nil)
        }
        var limits = ServerLimits()
        limits.maxFrameBytes = try layers.number(.maxFrameBytes, range: 1024...(64 << 20), default: limits.maxFrameBytes)
        limits.maxCallsInFlightPerConnection = try layers.number(
            .maxCallsPerConnection, range: 1...65536, default: limits.maxCallsInFlightPerConnection)
        limits.maxConnections = try layers.number(.maxConnections, range: 1...65536, default: limits.maxConnections)
        limits.maxBufferedBytesPerConnection = try layers.number(
            .maxBufferedBytes, range: 1024...(1 << 30), default: limits.maxBufferedBytesPerConnection)
        limits.idleTimeoutMilliseconds = try layers.number(.idleTimeoutMs, range: 10...86_400_000, default: limits.idleTimeoutMilliseconds)
        server.limits = limits
        server.drainGraceMilliseconds = try layers.number(
            .drainGraceMs, range: 0...3_600_000, default: server.drainGraceMilliseconds)
        let recheckSeconds = try layers.number(.recheckIntervalS, range: 0...604_800, default: 900)
        recheckInterval = recheckSeconds == 0 ? nil : .seconds(recheckSeconds)

        let levelText = layers.text(.logLevel, default: ("info", .builtIn))!
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw Invalid(description: "unknown log level \"\(levelText)\"; use trace, debug, info, notice, warning, error or critical")
        }
        logLevel = level
        let formatText = layers.text(.logFormat, default: ("text", .builtIn))!
        guard let format = LogFormat(rawValue: formatText.lowercased()) else {
            throw Invalid(description: "unknown log format \"\(formatText)\"; use text or json")
        }
        logFormat = format
        effective = DaemonSettingKey.allCases.compactMap { key in layers.effective.last { $0.key == key } }
    }

    /// The flags given on the command line, as text.
    private static func flags(of command: StewarddCommand) -> [DaemonSettingKey: String] {
        var flags: [DaemonSettingKey: String] = [:]
        if command.system { flags[.system] = "true" }
        let texts: [(DaemonSettingKey, String?)] = [
            (.stateDir, command.stateDir), (.storeURL, command.storeUrl), (.socket, command.socket),
            (.socketGroup, command.socketGroup), (.logLevel, command.logLevel), (.logFormat, command.logFormat),
        ]
        let numbers: [(DaemonSettingKey, Int?)] = [
            (.maxFrameBytes, command.maxFrameBytes), (.maxCallsPerConnection, command.maxCallsPerConnection),
            (.maxConnections, command.maxConnections), (.maxBufferedBytes, command.maxBufferedBytes),
            (.idleTimeoutMs, command.idleTimeoutMs), (.drainGraceMs, command.drainGraceMs),
            (.recheckIntervalS, command.recheckIntervalS),
        ]
        for case let (key, value?) in texts { flags[key] = value }
        for case let (key, value?) in numbers { flags[key] = String(value) }
        return flags
    }

    private static func groupID(named name: String, systemDefault: Bool) throws -> gid_t {
        if let number = gid_t(name) { return number }
        guard let entry = getgrnam(name) else {
            if systemDefault {
                throw Invalid(description: "system mode: there is no group \(name) to own the socket; "
                    + "create it with `groupadd --system \(name)` (scripts/install.sh --system-account does) or give --socket-group")
            }
            throw Invalid(description: "no group named \"\(name)\" for socket_group")
        }
        return entry.pointee.gr_gid
    }
}

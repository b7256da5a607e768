/// Every stewardd setting, named once: its key in the config file, and from
/// that its flag (`--state-dir`) and environment variable
/// (`STEWARD_STATE_DIR`). Each is resolved the same way (``SettingLayers``):
/// flag, then environment, then config file, then default.
enum DaemonSettingKey: String, CaseIterable, Sendable {
    case system
    case stateDir = "state_dir"
    case storeURL = "store_url"
    case socket
    case socketGroup = "socket_group"
    case maxFrameBytes = "max_frame_bytes"
    case maxCallsPerConnection = "max_calls_per_connection"
    case maxConnections = "max_connections"
    case maxBufferedBytes = "max_buffered_bytes"
    case idleTimeoutMs = "idle_timeout_ms"
    case drainGraceMs = "drain_grace_ms"
    case recheckIntervalS = "recheck_interval_s"
    case logLevel = "log_level"
    case logFormat = "log_format"

    /// What a config file must give for it.
    enum Kind { case text, number, yesNo }

    var kind: Kind {
        switch self {
        case .system: return .yesNo
        case .maxFrameBytes, .maxCallsPerConnection, .maxConnections, .maxBufferedBytes, .idleTimeoutMs, .drainGraceMs,
             .recheckIntervalS:
            return .number
        case .stateDir, .storeURL, .socket, .socketGroup, .logLevel, .logFormat: return .text
        }
    }

    var flag: String { "--" + rawValue.replacing("_", with: "-") }
    var environmentVariable: String { "STEWARD_" + rawValue.uppercased() }
}

/// Where an effective setting came from, as `--print-config` says it.
enum SettingOrigin: Sendable, Equatable, CustomStringConvertible {
    case flag(String)
    case environment(String)
    case file(path: String, line: Int?)
    case systemMode
    case builtIn

    var description: String {
        switch self {
        case .flag(let name): return "flag \(name)"
        case .environment(let name): return "environment \(name)"
        case .file(let path, let line): return line.map { "\(path) line \($0)" } ?? path
        case .systemMode: return "default for --system"
        case .builtIn: return "default"
        }
    }
}

import ArgumentParser
import Foundation
import Logging
import StewardServer
import StewardWire

/// `stewardd`: the Steward daemon.
@main
struct StewarddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stewardd",
        abstract: "The Steward daemon: serves the Steward API on a Unix socket.",
        discussion: """
            Every option can also be set by the environment variable named in its help, or \
            in the config file (--config); an option on the command line wins over the \
            variable, which wins over the file. --print-config shows the outcome.

            The state directory and the socket's directory must belong to the user stewardd \
            runs as and be writable by nobody else; stewardd creates them (0700 and 0750) when \
            missing, never follows a symlink in the state directory, and runs with core dumps off.

            SIGTERM or SIGINT drains the daemon: it stops accepting, lets calls in flight \
            finish within --drain-grace-ms, answers the rest UNAVAILABLE, removes its socket \
            file and exits 0.

            Under systemd (contrib/systemd): with LISTEN_PID and LISTEN_FDS=1 set for it, \
            stewardd serves the listening socket on descriptor 3 instead of making one, and \
            leaves that socket file alone when it stops; with NOTIFY_SOCKET set it sends \
            READY=1 once it serves and STOPPING=1 when it begins to drain (Type=notify).
            """,
        version: StewardVersion.current)

    @Option(name: .long, help: ArgumentHelp("Read settings from this TOML file (keys as the options' names with _ for -, e.g. state_dir = \"/srv/steward\"); an unknown key is refused with its line. Flags and environment variables win over it. [env: STEWARD_CONFIG] [default: /etc/steward/stewardd.toml in system mode, if it exists; none otherwise]", valueName: "path"))
    var config: String?

    @Flag(name: .long, help: "Print each setting's effective value and where it came from (flag, environment, config file and line, default), then exit.")
    var printConfig = false

    @Flag(name: .long, help: "System mode, for a team: state in /var/lib/steward, socket /run/steward/steward.sock (directory 0750, socket 0660) owned by the group steward, whose members may connect. Other options still override each default. [env: STEWARD_SYSTEM=1]")
    var system = false

    @Option(name: .long, help: ArgumentHelp("State directory. [env: STEWARD_STATE_DIR] [default: $XDG_STATE_HOME/steward or ~/.local/state/steward; /var/lib/steward in system mode]", valueName: "dir"))
    var stateDir: String?

    @Option(name: .long, help: ArgumentHelp("Shared mode: the registry lives in this PostgreSQL database (a postgresql:// URL or libpq key=value string; keep the password in ~/.pgpass or PGPASSWORD, not on the command line), so several daemons, each with its own state directory and a copy of the same registry.key, serve one registry. [env: STEWARD_STORE_URL] [default: the embedded SQLite store in the state directory]", valueName: "url"))
    var storeUrl: String?

    @Option(name: .long, help: ArgumentHelp("Socket path. [env: STEWARD_SOCKET] [default: <state dir>/run/steward.sock; /run/steward/steward.sock in system mode; ignored when systemd hands stewardd its socket (LISTEN_FDS)]", valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp("Group (name or number) that owns the socket file; its members may connect. [env: STEWARD_SOCKET_GROUP] [default: the daemon's group; steward in system mode]", valueName: "group"))
    var socketGroup: String?

    @Option(name: .long, help: ArgumentHelp("Largest frame accepted, in bytes. [env: STEWARD_MAX_FRAME_BYTES] [default: 4194304]", valueName: "bytes"))
    var maxFrameBytes: Int?

    @Option(name: .long, help: ArgumentHelp("Calls one connection may have in flight. [env: STEWARD_MAX_CALLS_PER_CONNECTION] [default: 256]", valueName: "n"))
    var maxCallsPerConnection: Int?

    @Option(name: .long, help: ArgumentHelp("Open connections allowed. [env: STEWARD_MAX_CONNECTIONS] [default: 1024]", valueName: "n"))
    var maxConnections: Int?

    @Option(name: .long, help: ArgumentHelp("Unread answers held for one connection before it stops being read. [env: STEWARD_MAX_BUFFERED_BYTES] [default: 8388608]", valueName: "bytes"))
    var maxBufferedBytes: Int?

    @Option(name: .long, help: ArgumentHelp("Close a connection idle this long. [env: STEWARD_IDLE_TIMEOUT_MS] [default: 300000]", valueName: "ms"))
    var idleTimeoutMs: Int?

    @Option(name: .long, help: ArgumentHelp("How long calls in flight may finish after SIGTERM. [env: STEWARD_DRAIN_GRACE_MS] [default: 10000]", valueName: "ms"))
    var drainGraceMs: Int?

    @Option(name: .long, help: ArgumentHelp("Validate ACTIVE and UNHEALTHY connections again this often; 0 turns rechecks off. [env: STEWARD_RECHECK_INTERVAL_S] [default: 900]", valueName: "seconds"))
    var recheckIntervalS: Int?

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical. [env: STEWARD_LOG_LEVEL] [default: info]", valueName: "level"))
    var logLevel: String?

    @Option(name: .long, help: ArgumentHelp("text or json. [env: STEWARD_LOG_FORMAT] [default: text]", valueName: "format"))
    var logFormat: String?

    func run() async throws {
        let settings: DaemonSettings
        do {
            settings = try DaemonSettings(command: self, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError("\(error)")
        }
        if printConfig {
            print(EffectiveConfig.render(settings), terminator: "")
            return
        }
        try await Daemon(settings: settings).run()
    }
}

import Glibc

/// Where Steward keeps its state and socket by default. The daemon, the CLI
/// and the client library resolve them the same way, so one exported
/// variable points every tool at one daemon.
public enum StewardPaths {
    /// `STEWARD_STATE_DIR`, else `$XDG_STATE_HOME/steward`, else
    /// `~/.local/state/steward`.
    public static func defaultStateDirectory(environment: [String: String]) -> String {
        if let explicit = environment["STEWARD_STATE_DIR"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/steward" }
        return homeDirectory(environment: environment) + "/.local/state/steward"
    }

    /// The daemon's own socket when none is given: `STEWARD_SOCKET`, else
    /// `<state dir>/run/steward.sock`. (Clients look further: ``SocketLocation``.)
    public static func defaultSocketPath(environment: [String: String]) -> String {
        if let explicit = environment["STEWARD_SOCKET"], !explicit.isEmpty { return explicit }
        return socketPath(inStateDirectory: defaultStateDirectory(environment: environment))
    }

    /// The system daemon's socket (system mode, for a team). A client that
    /// connects here always checks that the daemon runs as root or as
    /// ``systemUser``.
    public static let defaultSystemSocketPath = "/run/steward/steward.sock"
    /// Where clients look for the system daemon: `STEWARD_SYSTEM_SOCKET`
    /// (for packages that put it elsewhere, and for tests, which must not
    /// write in /run), else ``defaultSystemSocketPath``.
    public static func systemSocketPath(environment: [String: String]) -> String {
        if let moved = environment["STEWARD_SYSTEM_SOCKET"], !moved.isEmpty { return moved }
        return defaultSystemSocketPath
    }
    /// The system daemon's state directory (systemd's `StateDirectory=steward`).
    public static let systemStateDirectory = "/var/lib/steward"
    /// The account a system daemon runs as.
    public static let systemUser = "steward"
    /// The group whose members may connect to the system daemon.
    public static let systemGroup = "steward"

    public static func socketPath(inStateDirectory stateDirectory: String) -> String {
        stateDirectory + "/run/steward.sock"
    }

    /// `$HOME`, else the home directory of the current user in the system's
    /// user database (daemons often run without HOME).
    static func homeDirectory(environment: [String: String]) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        if let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir {
            return String(cString: directory)
        }
        return "/tmp"
    }
}

import Glibc

/// Which daemon a client talks to, and why that one: the one home of the
/// lookup order every Steward client follows (the CLI through
/// `StewardClient`; `clients/python/steward_client/paths.py` mirrors it and
/// its tests hold it to the same order):
///
/// 1. `--socket` (the caller's explicit path),
/// 2. `$STEWARD_SOCKET`,
/// 3. the user's own daemon, `<state dir>/run/steward.sock`, if a socket is there,
/// 4. the system daemon's socket (``StewardPaths/systemSocketPath``, or
///    `$STEWARD_SYSTEM_SOCKET` where a package or a test moved it).
public struct SocketLocation: Sendable, Equatable, CustomStringConvertible {
    public enum Source: String, Sendable, Equatable {
        case flag
        case environment
        case userDaemon
        case systemDaemon
    }

    public var path: String
    public var source: Source
    /// The user's own socket path, looked at and found empty; nil when the
    /// lookup stopped before it (an explicit path) or found it.
    public var userSocketChecked: String?

    public init(path: String, source: Source, userSocketChecked: String? = nil) {
        self.path = path
        self.source = source
        self.userSocketChecked = userSocketChecked
    }

    /// The path and where it came from, for `--verbose` and errors.
    public var description: String {
        switch source {
        case .flag: return "\(path) (from --socket)"
        case .environment: return "\(path) (from $STEWARD_SOCKET)"
        case .userDaemon: return "\(path) (your own daemon's socket)"
        case .systemDaemon:
            let skipped = userSocketChecked.map { "; no socket of your own daemon at \($0)" } ?? ""
            return "\(path) (the system daemon's socket\(skipped))"
        }
    }

    /// What to do when nothing answers here.
    public var nextStepWhenUnreachable: String {
        switch source {
        case .flag, .environment:
            return "start stewardd with --socket \(path), or point --socket or STEWARD_SOCKET at a running daemon"
        case .userDaemon:
            return "your daemon left its socket but is not running: start it again with `stewardd`"
        case .systemDaemon:
            return "start the system daemon (`systemctl start stewardd`, or `stewardd --system` as root), "
                + "or run your own with `stewardd`"
        }
    }

    /// What to do when the socket is there but the kernel refuses us.
    public func nextStepWhenRefused(group: String?) -> String {
        let groupName = group ?? StewardPaths.systemGroup
        let user = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(getuid())"
        return "only members of the group \(groupName) may connect; ask an administrator to run "
            + "`usermod --append --groups \(groupName) \(user)`, then log in again"
    }

    /// Applies the lookup order.
    ///
    /// - Parameter isSocket: whether a socket file is at a path (replaced in tests).
    public static func find(
        explicit: String?, environment: [String: String],
        isSocket: (String) -> Bool = SocketLocation.socketExists
    ) -> SocketLocation {
        if let explicit, !explicit.isEmpty { return SocketLocation(path: explicit, source: .flag) }
        if let variable = environment["STEWARD_SOCKET"], !variable.isEmpty {
            return SocketLocation(path: variable, source: .environment)
        }
        let own = StewardPaths.socketPath(inStateDirectory: StewardPaths.defaultStateDirectory(environment: environment))
        if isSocket(own) { return SocketLocation(path: own, source: .userDaemon) }
        return SocketLocation(
            path: StewardPaths.systemSocketPath(environment: environment), source: .systemDaemon, userSocketChecked: own)
    }

    /// Whether a socket file is at `path` (without following a symlink:
    /// a link there is not the user's daemon's socket).
    public static func socketExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK
    }
}

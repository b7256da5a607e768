import Glibc
import StewardWire

/// Which uid the daemon at a socket must run as, checked with `SO_PEERCRED`
/// right after connecting and before anything is sent: a socket path another
/// user can create or replace (a directory of theirs, a stale `--socket`)
/// could otherwise lead the client to hand a password to an impostor.
enum DaemonIdentity {
    /// `expectedDaemonUID`, else `STEWARD_EXPECT_DAEMON_UID`, else, for the
    /// system socket only, root or the `steward` system user; nil when any
    /// uid will do (the user's own daemon, found by the user's own paths).
    static func expectedUIDs(
        explicit: uid_t?, environment: [String: String], location: SocketLocation
    ) throws(RPCError) -> Set<uid_t>? {
        if let explicit { return [explicit] }
        if let text = environment["STEWARD_EXPECT_DAEMON_UID"], !text.isEmpty {
            guard let uid = uid_t(text) else {
                throw RPCError(.invalidArgument, "STEWARD_EXPECT_DAEMON_UID=\(text) is not a uid (a whole number)")
            }
            return [uid]
        }
        guard location.source == .systemDaemon || location.path == StewardPaths.defaultSystemSocketPath else {
            return nil
        }
        var uids: Set<uid_t> = [0]
        if let entry = getpwnam(StewardPaths.systemUser) { uids.insert(entry.pointee.pw_uid) }
        return uids
    }

    /// Refuses a daemon whose uid is not one of `expected`. Wraps
    /// `getsockopt(SO_PEERCRED)`, which the kernel fills at connect: nothing
    /// the daemon sends can change it.
    static func check(fd: Int32, expected: Set<uid_t>, socketPath: String) throws(RPCError) {
        let credentials: PeerCredentials
        do {
            credentials = try UnixSocket.peerCredentials(of: fd)
        } catch {
            throw RPCError(.unauthenticated, "cannot tell who runs the daemon at \(socketPath): \(error.reason)")
        }
        guard !expected.contains(credentials.uid) else { return }
        let wanted = expected.sorted().map(String.init).joined(separator: " or ")
        throw RPCError(
            .unauthenticated,
            "the daemon at \(socketPath) runs as uid \(credentials.uid), not uid \(wanted) as expected; "
                + "it may be an impostor, so nothing was sent to it")
    }
}

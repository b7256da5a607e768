import ArgumentParser
import StewardWire

/// `steward`: the command-line client of stewardd.
@main
struct StewardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward",
        abstract: "Talk to a running stewardd.",
        discussion: """
            The daemon is found at --socket, else $STEWARD_SOCKET, else \
            <state dir>/run/steward.sock where the state dir is $STEWARD_STATE_DIR, \
            else $XDG_STATE_HOME/steward, else ~/.local/state/steward.

            Exit codes (docs/cli.md):
              0   success
              1   the daemon failed (INTERNAL, UNKNOWN, DATA_LOSS)
              2   the request was refused as given (INVALID_ARGUMENT, NOT_FOUND,
                  ALREADY_EXISTS, FAILED_PRECONDITION, OUT_OF_RANGE, ABORTED)
              3   not allowed (PERMISSION_DENIED, UNAUTHENTICATED)
              4   not available now (UNAVAILABLE, DEADLINE_EXCEEDED,
                  RESOURCE_EXHAUSTED, CANCELLED; also health NOT_SERVING)
              5   the daemon does not implement the call (UNIMPLEMENTED)
              6   the daemon at the socket runs as another uid than expected
                  (--expect-daemon-uid, $STEWARD_EXPECT_DAEMON_UID, or the
                  system socket's root/steward); nothing was sent to it
              7   the daemon's socket is there but you may not connect to it
                  (not in its group): ask an administrator, do not retry
              64  the command line is wrong
            """,
        version: StewardVersion.current,
        subcommands: [HealthCommand.self, ServerCommand.self, WhoAmICommand.self, ConnectionCommand.self, UserCommand.self, MappingCommand.self, AuditCommand.self, SourceCommand.self, GroupCommand.self, PolicyCommand.self])
}

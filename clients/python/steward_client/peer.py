"""Which uid the daemon at a socket must run as, checked with ``SO_PEERCRED``
right after connecting and before anything is sent, exactly as the ``steward``
CLI and the Swift client check it: a socket path another user can create or
replace could otherwise lead the client to hand a password to an impostor.
"""

from __future__ import annotations

import pwd
import socket
import struct
from collections.abc import Mapping

from .errors import StatusCode, StewardError

__all__ = ["SYSTEM_SOCKET_PATH", "expected_daemon_uids", "check_daemon_uid"]

#: The system daemon's socket; a client that connects here always requires
#: the daemon to run as root or as the ``steward`` account.
SYSTEM_SOCKET_PATH = "/run/steward/steward.sock"
SYSTEM_USER = "steward"

# struct ucred: pid_t pid; uid_t uid; gid_t gid.
_UCRED = struct.Struct("iII")


def expected_daemon_uids(
    explicit: int | None, environ: Mapping[str, str], socket_path: str, *, is_system: bool = False
) -> set[int] | None:
    """``explicit``, else ``$STEWARD_EXPECT_DAEMON_UID``, else for the system
    socket only root or the ``steward`` account; None when any uid will do."""
    if explicit is not None:
        return {explicit}
    text = environ.get("STEWARD_EXPECT_DAEMON_UID", "")
    if text:
        if not text.isdigit():
            raise StewardError(
                StatusCode.INVALID_ARGUMENT, f"STEWARD_EXPECT_DAEMON_UID={text} is not a uid (a whole number)")
        return {int(text)}
    if not is_system and socket_path != SYSTEM_SOCKET_PATH:
        return None
    uids = {0}
    try:
        uids.add(pwd.getpwnam(SYSTEM_USER).pw_uid)
    except KeyError:
        pass
    return uids


def check_daemon_uid(sock: socket.socket, expected: set[int], socket_path: str) -> None:
    """Raises :class:`StewardError` UNAUTHENTICATED when the daemon at the
    other end of ``sock`` runs as none of ``expected``. The kernel fills
    ``SO_PEERCRED`` at connect: nothing the daemon sends can change it."""
    try:
        _pid, uid, _gid = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))
    except OSError as error:
        raise StewardError(
            StatusCode.UNAUTHENTICATED, f"cannot tell who runs the daemon at {socket_path}: {error.strerror}"
        ) from error
    if uid in expected:
        return
    wanted = " or ".join(str(value) for value in sorted(expected))
    raise StewardError(
        StatusCode.UNAUTHENTICATED,
        f"the daemon at {socket_path} runs as uid {uid}, not uid {wanted} as expected; "
        "it may be an impostor, so nothing was sent to it")

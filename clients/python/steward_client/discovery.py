"""Where the daemon's socket is, found exactly as the ``steward`` CLI finds it
(the Swift ``SocketLocation`` is the reference; this mirrors it, and
``tests/test_discovery.py`` holds it to the same order and wording).

In order: the path given, ``$STEWARD_SOCKET``, then the user's own daemon at
``<state dir>/run/steward.sock`` if a socket is there, where the state
directory is ``$STEWARD_STATE_DIR``, else ``$XDG_STATE_HOME/steward``, else
``~/.local/state/steward``; then the system daemon's socket,
``$STEWARD_SYSTEM_SOCKET`` or ``/run/steward/steward.sock``. An empty
variable counts as unset. One exported variable points every tool at one daemon.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from typing import NamedTuple

__all__ = ["SocketLocation", "locate_socket", "resolve_socket_path", "default_state_directory", "DEFAULT_SYSTEM_SOCKET_PATH"]

DEFAULT_SYSTEM_SOCKET_PATH = "/run/steward/steward.sock"


class SocketLocation(NamedTuple):
    """A socket path and why it was chosen: ``source`` is ``"flag"``,
    ``"environment"``, ``"user_daemon"`` or ``"system_daemon"``."""

    path: str
    source: str
    user_socket_checked: str | None = None

    def __str__(self) -> str:
        if self.source == "flag":
            return f"{self.path} (from --socket)"
        if self.source == "environment":
            return f"{self.path} (from $STEWARD_SOCKET)"
        if self.source == "user_daemon":
            return f"{self.path} (your own daemon's socket)"
        skipped = f"; no socket of your own daemon at {self.user_socket_checked}" if self.user_socket_checked else ""
        return f"{self.path} (the system daemon's socket{skipped})"

    @property
    def next_step_when_unreachable(self) -> str:
        if self.source in ("flag", "environment"):
            return f"start stewardd with --socket {self.path}, or point --socket or STEWARD_SOCKET at a running daemon"
        if self.source == "user_daemon":
            return "your daemon left its socket but is not running: start it again with `stewardd`"
        return ("start the system daemon (`systemctl start stewardd`, or `stewardd --system` as root), "
                "or run your own with `stewardd`")


def is_socket(path: str) -> bool:
    """Whether a socket file is at ``path`` (a symlink there is not one)."""
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


def locate_socket(
    socket_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    socket_exists: Callable[[str], bool] = is_socket,
) -> SocketLocation:
    """Applies the lookup order (module docstring) and says which step chose."""
    if socket_path is not None and os.fspath(socket_path):
        return SocketLocation(os.fspath(socket_path), "flag")
    env = os.environ if environ is None else environ
    if env.get("STEWARD_SOCKET"):
        return SocketLocation(env["STEWARD_SOCKET"], "environment")
    own = default_state_directory(env) + "/run/steward.sock"
    if socket_exists(own):
        return SocketLocation(own, "user_daemon")
    return SocketLocation(env.get("STEWARD_SYSTEM_SOCKET") or DEFAULT_SYSTEM_SOCKET_PATH, "system_daemon", own)


def default_state_directory(environ: Mapping[str, str] | None = None) -> str:
    """``$STEWARD_STATE_DIR``, else ``$XDG_STATE_HOME/steward``, else
    ``~/.local/state/steward`` (the home directory from ``$HOME``, else the
    password database, as daemons often run without HOME)."""
    env = os.environ if environ is None else environ
    if env.get("STEWARD_STATE_DIR"):
        return env["STEWARD_STATE_DIR"]
    if env.get("XDG_STATE_HOME"):
        return env["XDG_STATE_HOME"] + "/steward"
    return _home_directory(env) + "/.local/state/steward"


def resolve_socket_path(
    socket_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The socket to connect to (:func:`locate_socket`'s path)."""
    return locate_socket(socket_path, environ).path


def _home_directory(env: Mapping[str, str]) -> str:
    if env.get("HOME"):
        return env["HOME"]
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        return "/tmp"

"""Where the daemon's socket is, found exactly as the ``steward`` CLI finds it.

In order: the path given, ``$STEWARD_SOCKET``, then ``<state dir>/run/steward.sock``
where the state directory is ``$STEWARD_STATE_DIR``, else
``$XDG_STATE_HOME/steward``, else ``~/.local/state/steward``. An empty
variable counts as unset. One exported variable points every tool at one daemon.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["resolve_socket_path", "default_state_directory"]


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
    """The socket to connect to: ``socket_path`` if given, else
    ``$STEWARD_SOCKET``, else ``<state dir>/run/steward.sock``."""
    if socket_path is not None:
        return os.fspath(socket_path)
    env = os.environ if environ is None else environ
    if env.get("STEWARD_SOCKET"):
        return env["STEWARD_SOCKET"]
    return default_state_directory(env) + "/run/steward.sock"


def _home_directory(env: Mapping[str, str]) -> str:
    if env.get("HOME"):
        return env["HOME"]
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        return "/tmp"

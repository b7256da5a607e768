"""A Python client for stewardd, the Steward daemon.

::

    from steward_client import StewardClient, StewardError, StatusCode

    with StewardClient.connect() as client:   # --socket / $STEWARD_SOCKET / default
        me = client.whoami()
        print(me.uid, me.user_name)

The message classes and enums of the contract (proto/) are in
:mod:`steward_client.v1` (steward.v1), :mod:`steward_client.health_v1`
(grpc.health.v1) and :mod:`steward_client.rpc_v1` (steward.rpc.v1).
"""

from . import health_v1, rpc_v1, v1
from ._helpers import enum_value
from ._pool import enum_type, message_class
from .client import ServerStream, ServiceStub, StewardClient
from .discovery import SocketLocation, default_state_directory, locate_socket, resolve_socket_path
from .errors import StatusCode, StewardError

__version__ = "0.1.0"

__all__ = [
    "StewardClient",
    "ServerStream",
    "ServiceStub",
    "StewardError",
    "StatusCode",
    "resolve_socket_path",
    "locate_socket",
    "SocketLocation",
    "default_state_directory",
    "message_class",
    "enum_type",
    "enum_value",
    "v1",
    "health_v1",
    "rpc_v1",
]

"""Messages and enums of ``steward.v1``, the Steward API (proto/steward/v1/*.proto).

Built at import time from the contract; named and used like protoc's Python
output::

    from steward_client import v1

    request = v1.GetConnectionRequest(key="sales")
    if connection.state == v1.CONNECTION_STATE_ACTIVE: ...
    v1.ConnectionState.Name(connection.state)    # "CONNECTION_STATE_ACTIVE"
"""

from ._pool import export_package as _export_package

__all__ = _export_package("steward.v1", globals())

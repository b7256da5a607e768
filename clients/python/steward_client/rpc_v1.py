"""Messages and enums of ``steward.rpc.v1``, the wire envelope
(proto/steward/rpc/v1/frame.proto): ``Frame``, ``Status``, ``FRAME_KIND_*``.
The client builds and reads these itself; they are here for tools and tests."""

from ._pool import export_package as _export_package

__all__ = _export_package("steward.rpc.v1", globals())

"""The steward.rpc.v1 framing: a 5-byte prefix, then a ``Frame`` message.

::

    +-----------+---------------------------+----------------------------------+
    | flags: u8 | length: u32, big-endian   | length bytes: a Frame (protobuf) |
    +-----------+---------------------------+----------------------------------+

``flags`` must be 0 (bit 0 would mean "compressed", which is not supported)
and ``length`` counts the Frame's bytes only. This module knows bytes, not
calls: :mod:`steward_client.client` builds and reads the ``Frame`` messages.
"""

from __future__ import annotations

import struct

__all__ = [
    "PREFIX_SIZE",
    "DEFAULT_MAX_FRAME_BYTES",
    "FramingError",
    "FrameTooLarge",
    "encode_frame",
    "FrameDecoder",
]

PREFIX = struct.Struct(">BI")
PREFIX_SIZE = PREFIX.size  # 5
#: The daemon's default limit (``Server.Info`` reports the one in force).
DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024
_MAX_LENGTH = 0xFFFF_FFFF


class FramingError(ValueError):
    """The byte stream is not a valid sequence of frames; it cannot be
    resynchronised, so the connection must be closed."""


class FrameTooLarge(FramingError):
    """A frame longer than the limit, refused before anything is allocated
    for it (receiving) or sent (sending)."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"a frame of {length} bytes is over the limit of {limit} bytes")
        self.length = length
        self.limit = limit


def encode_frame(body: bytes, *, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> bytes:
    """Prefixes an encoded ``Frame`` for the wire.

    Raises :class:`FrameTooLarge` when ``body`` is over ``max_frame_bytes``.
    """
    limit = min(max_frame_bytes, _MAX_LENGTH)
    if len(body) > limit:
        raise FrameTooLarge(len(body), limit)
    return PREFIX.pack(0, len(body)) + body


class FrameDecoder:
    """Splits a byte stream into frame bodies, however the reads cut it.

    ::

        decoder = FrameDecoder()
        for body in decoder.feed(sock.recv(65536)):
            frame = rpc_v1.Frame.FromString(body)

    A prefix with a flag bit set, or with a length over ``max_frame_bytes``,
    raises :class:`FramingError` (:class:`FrameTooLarge`) as soon as its five
    bytes are in, before the body is waited for or buffered. After an error
    the decoder is unusable, as is the stream.
    """

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        self.max_frame_bytes = max_frame_bytes
        self._buffer = bytearray()
        self._failed: FramingError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received that do not yet make a whole frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """Adds ``data`` and returns the bodies of the frames it completes, in order."""
        if self._failed is not None:
            raise self._failed
        buffer = self._buffer
        buffer += data
        bodies: list[bytes] = []
        start = 0
        while len(buffer) - start >= PREFIX_SIZE:
            flags, length = PREFIX.unpack_from(buffer, start)
            if flags:
                self._failed = FramingError(f"a frame with flags {flags:#04x} (compression is not supported)")
            elif length > self.max_frame_bytes:
                self._failed = FrameTooLarge(length, self.max_frame_bytes)
            if self._failed is not None:
                self._buffer = bytearray()
                raise self._failed
            end = start + PREFIX_SIZE + length
            if end > len(buffer):
                break
            bodies.append(bytes(buffer[start + PREFIX_SIZE:end]))
            start = end
        if start:
            del buffer[:start]
        return bodies

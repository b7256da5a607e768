"""A scripted stand-in for stewardd on the far end of a socketpair, so that
client behaviour the real daemon will not show on demand (connection-level
errors, silence, out-of-order answers, oversized frames) can be tested."""

from __future__ import annotations

import select
import socket
import time

from steward_client import StewardClient, rpc_v1
from steward_client.framing import FrameDecoder, encode_frame


class ScriptedPeer:
    """The daemon's end: reads the client's frames, writes whatever a test says."""

    def __init__(self, **client_options) -> None:
        self.sock, client_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.client = StewardClient(client_end, socket_path="<socketpair>", **client_options)
        self._decoder = FrameDecoder(max_frame_bytes=64 * 1024 * 1024)
        self._frames: list = []

    def close(self) -> None:
        self.client.close()
        self.sock.close()

    def receive(self, timeout: float = 5.0):
        """The next frame the client sent; AssertionError if none comes in time."""
        deadline = time.monotonic() + timeout
        while not self._frames:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                raise AssertionError("the client sent no frame in time")
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError("the client closed the connection")
            self._frames += [rpc_v1.Frame.FromString(body) for body in self._decoder.feed(data)]
        return self._frames.pop(0)

    def nothing_sent(self) -> bool:
        """Whether the client has sent nothing unread (what it sends, it sends
        before its call returns, so this needs no waiting)."""
        if self._frames:
            return False
        try:
            return not self.sock.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK)
        except BlockingIOError:
            return True

    def send(self, **fields) -> None:
        self.send_raw(encode_frame(rpc_v1.Frame(**fields).SerializeToString(), max_frame_bytes=2**32 - 1))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def end(self, call_id: int, code: int = 0, message: str = "", payload: bytes = b"", **fields) -> None:
        self.send(call_id=call_id, kind=rpc_v1.FRAME_KIND_END, payload=payload,
                  status=rpc_v1.Status(code=code, message=message), **fields)

    def message(self, call_id: int, payload: bytes) -> None:
        self.send(call_id=call_id, kind=rpc_v1.FRAME_KIND_MESSAGE, payload=payload)

"""StewardClient: one connection to stewardd, many calls at once.

Design: every call gets a fresh call id and a queue. Callers send their
REQUEST (and CANCEL) frames themselves, one whole frame at a time under a
lock; a single reader thread reads the socket, splits it into frames and puts
each MESSAGE and END on the queue of the call it belongs to, so any number of
threads may have calls in flight on one connection. The thread that made a
call waits on its queue with the call's deadline; when the deadline passes
first, or the caller is interrupted, the call is dropped from the table and
the daemon is sent CANCEL. Ids are never reused on a connection, so a late
answer for a dropped call is simply ignored. An END with call id 0, a broken
stream or a closed socket fails every call in flight at once.
"""

from __future__ import annotations

import collections
import os
import math
import queue
import select
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Union

from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import DecodeError, Message

from . import _pool, rpc_v1
from ._helpers import ServiceHelpers
from ._policy_helpers import PolicyHelpers
from .discovery import SocketLocation, locate_socket
from .errors import StatusCode, StewardError
from .peer import check_daemon_uid, expected_daemon_uids
from .framing import (
    DEFAULT_MAX_FRAME_BYTES,
    FrameDecoder,
    FrameTooLarge,
    FramingError,
    encode_frame,
)

__all__ = ["StewardClient", "ServerStream", "ServiceStub", "Metadata", "Request"]

#: Headers for a REQUEST: a mapping or (key, value) pairs.
Metadata = Union[Mapping[str, str], Iterable[tuple[str, str]]]
#: A request: its message, a dict of its fields, its serialized bytes, or
#: None for the empty request.
Request = Union[Message, Mapping[str, Any], bytes, None]

_REQUEST = rpc_v1.FRAME_KIND_REQUEST
_MESSAGE = rpc_v1.FRAME_KIND_MESSAGE
_END = rpc_v1.FRAME_KIND_END
_CANCEL = rpc_v1.FRAME_KIND_CANCEL
_MAX_TIMEOUT_MS = 0xFFFF_FFFF
_READ_SIZE = 256 * 1024


class _Call:
    """A call in flight: what the reader thread needs to route its frames."""

    __slots__ = ("call_id", "method", "events")

    def __init__(self, call_id: int, method: str) -> None:
        self.call_id = call_id
        self.method = method
        # (_MESSAGE, payload) or (_END, StewardError | None, payload, trailers)
        self.events: queue.SimpleQueue = queue.SimpleQueue()


class StewardClient(ServiceHelpers, PolicyHelpers):
    """A connection to a Steward daemon.

    Thread-safe: calls from many threads are multiplexed on the one
    connection. Use :meth:`connect`, and close the client when done (it is a
    context manager)::

        with StewardClient.connect() as client:
            print(client.whoami().uid)

    Three ways to call, from the most generic:

    * :meth:`call` and :meth:`stream` take a method path
      (``"/steward.v1.Connections/Get"``) and work for any method, including
      ones this package's copy of the contract does not know yet;
    * service stubs take the proto's names: ``client.connections.Get(key="sales")``,
      ``client.users.List()``; any method in the contract works, with no code here;
    * helpers for everyday work unwrap responses and follow pages:
      ``client.get_connection("sales")``, ``client.list_users()``...

    Every call takes ``timeout`` in seconds (None: the client's
    ``default_timeout``, which is None, no deadline, unless set). It is sent
    to the daemon as the call's deadline and enforced here too.
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        socket_path: str | None = None,
        default_timeout: float | None = None,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ) -> None:
        """Takes over ``sock``, a connected stream socket; see :meth:`connect`."""
        self.socket_path = socket_path
        self.default_timeout = default_timeout
        self.max_frame_bytes = max_frame_bytes
        self._sock = sock
        sock.settimeout(None)
        self._lock = threading.Lock()  # _calls, _next_id, _closed
        self._send_lock = threading.Lock()  # whole frames onto the socket; taken before _lock, never after
        self._calls: dict[int, _Call] = {}
        self._next_id = 1
        self._closed: StewardError | None = None
        self._deferred_abandons: collections.deque[_Call] = collections.deque()
        self._stubs: dict[str, ServiceStub] = {}
        self._reader = threading.Thread(target=self._read_loop, name="steward-client-reader", daemon=True)
        self._reader.start()

    @classmethod
    def connect(
        cls,
        socket_path: str | None = None,
        *,
        default_timeout: float | None = None,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        connect_timeout: float = 10.0,
        environ: Mapping[str, str] | None = None,
        expected_daemon_uid: int | None = None,
    ) -> StewardClient:
        """Connects to the daemon's socket: ``socket_path``, else
        ``$STEWARD_SOCKET``, else the user's own daemon if its socket is
        there, else the system daemon (see :mod:`steward_client.discovery`).
        Raises :class:`StewardError` PERMISSION_DENIED when the socket is
        there but this user may not connect (not in its group).

        ``max_frame_bytes`` is the largest frame sent or accepted (the
        daemon's default; ``server_info().limits.max_frame_bytes`` tells the
        one in force). Raises :class:`StewardError` UNAVAILABLE saying why
        when nothing answers there.

        ``expected_daemon_uid`` (else ``$STEWARD_EXPECT_DAEMON_UID``; for the
        system socket root or the ``steward`` account, always) is the uid the
        daemon must run as, checked with ``SO_PEERCRED`` before anything is
        sent: UNAUTHENTICATED otherwise (see :mod:`steward_client.peer`).
        """
        location: SocketLocation = locate_socket(socket_path, environ)
        path = location.path
        expected = expected_daemon_uids(
            expected_daemon_uid, os.environ if environ is None else environ, path,
            is_system=location.source == "system_daemon")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(connect_timeout)
            sock.connect(path)
        except PermissionError as error:
            sock.close()
            raise StewardError(
                StatusCode.PERMISSION_DENIED,
                f"cannot reach stewardd at {location}: permission denied; "
                f"only members of the socket's group may connect: ask an administrator to add you to it",
            ) from error
        except OSError as error:
            sock.close()
            reason = error.strerror or str(error) or type(error).__name__
            raise StewardError(
                StatusCode.UNAVAILABLE,
                f"cannot reach stewardd at {location}: {reason}; {location.next_step_when_unreachable}",
            ) from error
        if expected is not None:
            try:
                check_daemon_uid(sock, expected, path)
            except StewardError:
                sock.close()
                raise
        return cls(sock, socket_path=path, default_timeout=default_timeout, max_frame_bytes=max_frame_bytes)

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        """Closes the connection. Calls still in flight fail with CANCELLED,
        and so does any call made afterwards. Safe to call twice."""
        self._fail(StewardError(StatusCode.CANCELLED, "the client was closed"))
        if threading.current_thread() is not self._reader:
            self._reader.join(timeout=5)
        self._sock.close()

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (by :meth:`close`, the daemon, or an error)."""
        return self._closed is not None

    def __enter__(self) -> StewardClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<StewardClient {self.socket_path or '(socket)'} {state}>"

    # -- calls ---------------------------------------------------------------------

    def call(
        self,
        method_path: str,
        request: Request = None,
        timeout: float | None = None,
        metadata: Metadata | None = None,
        *,
        response_type: type[Message] | None = None,
    ) -> Any:
        """Makes a unary call and returns the response message.

        ``method_path`` is ``/<package>.<Service>/<Method>``. ``request`` is the
        request message, a dict of its fields, or None for the empty request;
        for a method the contract here does not know, serialized bytes or any
        message. The response is decoded as the method's response type,
        ``response_type`` if given; for an unknown method without it, the
        serialized bytes are returned.

        Raises :class:`StewardError` with the daemon's status, or
        DEADLINE_EXCEEDED when ``timeout`` passes first.
        """
        descriptor = _pool.find_method(method_path)
        call, deadline = self._start(method_path, descriptor, request, timeout, metadata)
        event = self._wait(call, deadline)
        while event[0] != _END:  # a MESSAGE has no place in a unary call: skip it
            event = self._wait(call, deadline)
        _, error, payload, _trailers = event
        if error is not None:
            raise error
        return _decode(method_path, payload, _response_class(descriptor, response_type))

    def stream(
        self,
        method_path: str,
        request: Request = None,
        timeout: float | None = None,
        metadata: Metadata | None = None,
        *,
        response_type: type[Message] | None = None,
    ) -> ServerStream:
        """Starts a server-streaming call; iterate the result for its messages.

        The iteration ends when the call ends OK and raises
        :class:`StewardError` when it fails. ``timeout`` bounds the whole call.
        Stop early with ``stream.cancel()`` (or by using the stream as a
        context manager): the daemon is sent CANCEL. An exception such as
        KeyboardInterrupt while waiting for a message cancels the call too.
        """
        descriptor = _pool.find_method(method_path)
        call, deadline = self._start(method_path, descriptor, request, timeout, metadata)
        return ServerStream(self, call, deadline, _response_class(descriptor, response_type))

    def service(self, full_name: str) -> ServiceStub:
        """The stub of a service of the contract, e.g. ``"steward.v1.Users"``."""
        stub = self._stubs.get(full_name)
        if stub is None:
            stub = self._stubs[full_name] = ServiceStub(self, full_name)
        return stub

    @property
    def health(self) -> ServiceStub:
        """``grpc.health.v1.Health``: ``Check``, ``Watch``."""
        return self.service("grpc.health.v1.Health")

    @property
    def server(self) -> ServiceStub:
        """``steward.v1.Server``: ``Info``, ``Stats``, ``WhoAmI``."""
        return self.service("steward.v1.Server")

    @property
    def connections(self) -> ServiceStub:
        """``steward.v1.Connections``: ``Register``, ``Get``, ``List``, ``Sync``..."""
        return self.service("steward.v1.Connections")

    @property
    def data_sources(self) -> ServiceStub:
        """``steward.v1.DataSources``: ``List``, ``Get``."""
        return self.service("steward.v1.DataSources")

    @property
    def users(self) -> ServiceStub:
        """``steward.v1.Users``: ``Create``, ``Get``, ``SetMapping``, ``ListMappings``..."""
        return self.service("steward.v1.Users")

    @property
    def groups(self) -> ServiceStub:
        """``steward.v1.Groups``: ``Create``, ``AddMembers``, ``ImportMembers``..."""
        return self.service("steward.v1.Groups")

    @property
    def policies(self) -> ServiceStub:
        """``steward.v1.Policies``: ``Create``, ``Update``, ``Enforce``, ``ListSubscribers``..."""
        return self.service("steward.v1.Policies")

    @property
    def audit(self) -> ServiceStub:
        """``steward.v1.Audit``: ``List``."""
        return self.service("steward.v1.Audit")

    # -- internals -----------------------------------------------------------------

    def _start(
        self,
        method: str,
        descriptor: MethodDescriptor | None,
        request: Request,
        timeout: float | None,
        metadata: Metadata | None,
    ) -> tuple[_Call, float | None]:
        """Sends the REQUEST of a new call; returns it and its deadline (monotonic)."""
        payload = _serialize(method, descriptor, request)
        if timeout is None:
            timeout = self.default_timeout
        timeout_ms, deadline = 0, None
        if timeout is not None:
            if timeout <= 0:
                raise StewardError(
                    StatusCode.DEADLINE_EXCEEDED, "the deadline passed before the call started", method=method)
            if math.isfinite(timeout):
                timeout_ms = min(max(1, math.ceil(timeout * 1000)), _MAX_TIMEOUT_MS)
                deadline = time.monotonic() + timeout
        with self._lock:
            call_id = self._next_id
            self._next_id += 1
        frame = rpc_v1.Frame(
            call_id=call_id,
            kind=_REQUEST,
            method=method,
            timeout_ms=timeout_ms,
            metadata=_metadata_entries(metadata),
            payload=payload,
        )
        try:
            data = encode_frame(frame.SerializeToString(), max_frame_bytes=self.max_frame_bytes)
        except FrameTooLarge as error:
            raise StewardError(
                StatusCode.RESOURCE_EXHAUSTED, f"the request is too large to send: {error}", method=method
            ) from None
        call = _Call(call_id, method)
        with self._lock:
            if self._closed is not None:
                raise _for_call(self._closed, method)
            self._calls[call_id] = call  # before sending, so that the reader finds it
        self._send(data, deadline)
        return call, deadline

    def _send(self, data: bytes, deadline: float | None = None) -> None:
        with self._send_lock:
            self._flush_deferred_locked()
            self._write_locked(data, deadline)

    def _write_locked(self, data: bytes, deadline: float | None = None) -> None:
        """Writes one whole frame (the caller holds ``_send_lock``). With a
        deadline the write waits at most until then: a daemon that stops
        reading must not hold the caller (or the other threads queued on the
        send lock) past it. A frame cut short cannot be resumed, so that
        ends the connection."""
        try:
            if deadline is None:
                self._sock.sendall(data)
            else:
                self._send_by(data, deadline)
        except TimeoutError:
            self._fail(StewardError(
                StatusCode.DEADLINE_EXCEEDED,
                "the deadline passed while the request was still being sent; the connection is closed"))
        except OSError as error:
            # Every call in flight, the sender's included, learns of it from its queue.
            self._fail(StewardError(StatusCode.UNAVAILABLE, f"the connection to stewardd broke: {_reason(error)}"))
        except BaseException:
            # Interrupted (KeyboardInterrupt...) part way through a frame: the
            # stream cannot be resynchronised, so the connection is done.
            self._fail(StewardError(StatusCode.UNAVAILABLE, "a send was interrupted, which closed the connection"))
            raise

    def _send_by(self, data: bytes, deadline: float) -> None:
        """``sendall`` that gives up at ``deadline`` (TimeoutError). The socket
        stays blocking for the reader thread: each send is made non-blocking
        by its flag, after poll says there is room."""
        view = memoryview(data)
        poller = select.poll()
        poller.register(self._sock, select.POLLOUT)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(max(1, int(remaining * 1000))):
                raise TimeoutError
            try:
                sent = self._sock.send(view, socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            view = view[sent:]

    def _wait(self, call: _Call, deadline: float | None) -> tuple:
        """The next event of ``call``. Past the deadline, or on any exception
        while waiting (KeyboardInterrupt...), the call is abandoned: the daemon
        is sent CANCEL and the exception raised."""
        try:
            if deadline is None:
                return call.events.get()
            return call.events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            if self._abandon(call):
                raise StewardError(
                    StatusCode.DEADLINE_EXCEEDED, "the deadline passed before stewardd answered", method=call.method
                ) from None
            # Whoever took the call from the table (the reader, or a failure)
            # is putting its END on the queue: take it.
            return call.events.get()
        except BaseException:
            self._abandon(call)
            raise

    def _abandon(self, call: _Call) -> bool:
        """Forgets ``call`` and sends CANCEL; False if it had already ended."""
        with self._lock:
            if self._calls.pop(call.call_id, None) is None:
                return False
        self._send_cancel(call.call_id)
        return True

    def _abandon_later(self, call: _Call) -> None:
        """:meth:`_abandon` from a finalizer, which may run in any thread at any
        point, even one holding this client's locks: never blocks."""
        self._deferred_abandons.append(call)
        if self._send_lock.acquire(blocking=False):
            try:
                self._flush_deferred_locked(blocking=False)
            finally:
                self._send_lock.release()

    def _flush_deferred_locked(self, blocking: bool = True) -> None:
        while self._deferred_abandons:
            call = self._deferred_abandons.popleft()
            if not self._lock.acquire(blocking=blocking):
                self._deferred_abandons.appendleft(call)
                return
            try:
                active = self._calls.pop(call.call_id, None) is not None
            finally:
                self._lock.release()
            if active:
                self._write_cancel_locked(call.call_id)

    def _send_cancel(self, call_id: int) -> None:
        with self._send_lock:
            self._flush_deferred_locked()
            self._write_cancel_locked(call_id)

    def _write_cancel_locked(self, call_id: int) -> None:
        if self._closed is not None:
            return
        self._write_locked(encode_frame(rpc_v1.Frame(call_id=call_id, kind=_CANCEL).SerializeToString()))

    def _fail(self, error: StewardError) -> None:
        """Ends the connection: every call in flight fails with ``error``, and
        so does every later call (the first error is kept)."""
        with self._lock:
            if self._closed is None:
                self._closed = error
            calls = list(self._calls.values())
            self._calls.clear()
        for call in calls:
            call.events.put((_END, _for_call(error, call.method), b"", ()))
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the reader
        except OSError:
            pass

    def _read_loop(self) -> None:
        try:
            error = self._read_until_failure()
        except FrameTooLarge as failure:
            error = StewardError(
                StatusCode.RESOURCE_EXHAUSTED, f"stewardd sent a frame over this client's limit: {failure}")
        except FramingError as failure:
            error = StewardError(StatusCode.INTERNAL, f"stewardd sent a frame this client cannot read: {failure}")
        except OSError as failure:
            error = StewardError(StatusCode.UNAVAILABLE, f"the connection to stewardd broke: {_reason(failure)}")
        except BaseException as failure:  # never leave callers waiting on a dead reader
            error = StewardError(StatusCode.INTERNAL, f"the client's reader failed: {failure!r}")
        self._fail(error)

    def _read_until_failure(self) -> StewardError:
        decoder = FrameDecoder(self.max_frame_bytes)
        receive = self._sock.recv
        while True:
            data = receive(_READ_SIZE)
            if not data:
                return StewardError(StatusCode.UNAVAILABLE, "stewardd closed the connection")
            for body in decoder.feed(data):
                error = self._dispatch(body)
                if error is not None:
                    return error

    def _dispatch(self, body: bytes) -> StewardError | None:
        """Routes one frame; returns an error that ends the connection, if any."""
        try:
            frame = rpc_v1.Frame.FromString(body)
        except DecodeError:
            return StewardError(StatusCode.INTERNAL, "stewardd sent a frame this client cannot read")
        kind = frame.kind
        if kind == _MESSAGE:
            with self._lock:
                call = self._calls.get(frame.call_id)
            if call is not None:
                call.events.put((_MESSAGE, frame.payload))
        elif kind == _END:
            status = frame.status
            trailers = [(entry.key, entry.value) for entry in frame.metadata]
            if frame.call_id == 0:
                code = status.code or StatusCode.UNAVAILABLE
                return StewardError(code, status.message or "stewardd ended the connection",
                                    details=status.details, trailers=trailers)
            with self._lock:
                call = self._calls.pop(frame.call_id, None)
            if call is not None:
                error = None
                if status.code != StatusCode.OK:
                    error = StewardError(status.code, status.message, method=call.method,
                                         details=status.details, trailers=trailers)
                call.events.put((_END, error, frame.payload, trailers))
        # Clients never receive REQUEST or CANCEL; an unknown kind from a newer
        # daemon is not ours to fail on.
        return None


class ServerStream(Iterator[Any]):
    """The messages of a server-streaming call, as they arrive.

    Iterating yields each message and stops when the call ends OK; it raises
    :class:`StewardError` when the call fails. After the end, ``code`` holds
    the call's status code and ``trailers`` the daemon's trailers.

    ``cancel()`` (also ``close()``, leaving a ``with`` block, or dropping the
    last reference to an unfinished stream) sends CANCEL and stops the
    iteration: the daemon stops the work and ``code`` is CANCELLED.
    """

    def __init__(self, client: StewardClient, call: _Call, deadline: float | None,
                 response_class: type[Message] | None) -> None:
        self._client = client
        self._call = call
        self._deadline = deadline
        self._response_class = response_class
        self._done = False
        #: The status code once the call has ended; None while in flight.
        self.code: StatusCode | None = None
        #: The END frame's metadata, as (key, value) pairs.
        self.trailers: list[tuple[str, str]] = []

    @property
    def method(self) -> str:
        return self._call.method

    @property
    def done(self) -> bool:
        """Whether the call has ended (or been cancelled)."""
        return self._done

    def __iter__(self) -> ServerStream:
        return self

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        try:
            event = self._client._wait(self._call, self._deadline)
        except StewardError as error:
            self._finish(error.code)
            raise
        except BaseException:
            self._finish(StatusCode.CANCELLED)
            raise
        if event[0] == _MESSAGE:
            try:
                return _decode(self._call.method, event[1], self._response_class)
            except StewardError as error:
                self.cancel()
                self.code = error.code
                raise
        _, error, _payload, trailers = event
        self.trailers = list(trailers)
        if error is not None:
            self._finish(error.code)
            raise error
        self._finish(StatusCode.OK)
        raise StopIteration

    def cancel(self) -> None:
        """Ends the call early: sends CANCEL unless it has already ended. Idempotent."""
        if self._done:
            return
        self._finish(StatusCode.CANCELLED)
        self._client._abandon(self._call)

    close = cancel

    def _finish(self, code: StatusCode) -> None:
        self._done = True
        self.code = code

    def __enter__(self) -> ServerStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()

    def __del__(self) -> None:
        if not getattr(self, "_done", True):
            try:
                self._client._abandon_later(self._call)
            except Exception:  # interpreter shutdown
                pass

    def __repr__(self) -> str:
        state = self.code.name if self.code is not None else "in flight"
        return f"<ServerStream {self._call.method} call {self._call.call_id} {state}>"


class ServiceStub:
    """The methods of one service under their proto names, built from the
    contract: ``client.connections.Get(key="sales")``.

    Each method takes the request message, or its fields as keyword
    arguments, plus ``timeout`` and ``metadata``; a unary method returns the
    response message, a server-streaming one a :class:`ServerStream`.
    """

    def __init__(self, client: StewardClient, full_name: str) -> None:
        try:
            self._descriptor = _pool.POOL.FindServiceByName(full_name)
        except KeyError:
            raise ValueError(f"the Steward contract has no service {full_name!r}") from None
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        method = self._descriptor.methods_by_name.get(name)
        if method is None:
            raise AttributeError(
                f"{self._descriptor.full_name} has no method {name!r} "
                f"(it has {', '.join(self._descriptor.methods_by_name)})")
        function = _stub_method(self._client, f"/{self._descriptor.full_name}/{name}", method)
        setattr(self, name, function)
        return function

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._descriptor.methods_by_name})

    def __repr__(self) -> str:
        return f"<ServiceStub {self._descriptor.full_name}>"


def _stub_method(client: StewardClient, path: str, method: MethodDescriptor) -> Any:
    input_class = _pool.message_class(method.input_type.full_name)
    streaming = _pool.is_server_streaming(path)
    invoke = client.stream if streaming else client.call

    def function(request: Request = None, /, *, timeout: float | None = None,
                 metadata: Metadata | None = None, **fields: Any) -> Any:
        if fields:
            if request is not None:
                raise TypeError(f"{path}: give the request or its fields, not both")
            request = input_class(**fields)
        return invoke(path, request, timeout, metadata)

    function.__name__ = function.__qualname__ = method.name
    function.__doc__ = (f"{path}: {method.input_type.full_name} -> "
                        f"{'stream ' if streaming else ''}{method.output_type.full_name}")
    return function


def _serialize(method: str, descriptor: MethodDescriptor | None, request: Request) -> bytes:
    if isinstance(request, (bytes, bytearray, memoryview)):
        return bytes(request)
    if descriptor is None:
        if request is None:
            return b""
        if isinstance(request, Message):
            return request.SerializeToString()
        raise TypeError(f"{method} is not in this client's contract: pass the request as a message or bytes")
    expected = descriptor.input_type.full_name
    if request is None:
        return b""
    if isinstance(request, Mapping):
        return _pool.message_class(expected)(**request).SerializeToString()
    if isinstance(request, Message):
        if request.DESCRIPTOR.full_name != expected:
            raise TypeError(f"{method} takes a {expected}, not a {request.DESCRIPTOR.full_name}")
        return request.SerializeToString()
    raise TypeError(f"{method}: a request is a {expected}, a dict of its fields, bytes or None, "
                    f"not {type(request).__name__}")


def _response_class(descriptor: MethodDescriptor | None, explicit: type[Message] | None) -> type[Message] | None:
    if explicit is not None:
        return explicit
    if descriptor is None:
        return None
    return _pool.message_class(descriptor.output_type.full_name)


def _decode(method: str, payload: bytes, response_class: type[Message] | None) -> Any:
    if response_class is None:
        return payload
    try:
        return response_class.FromString(payload)
    except DecodeError:
        raise StewardError(
            StatusCode.INTERNAL,
            f"stewardd's answer is not a valid {response_class.DESCRIPTOR.full_name}", method=method,
        ) from None


def _metadata_entries(metadata: Metadata | None) -> list:
    if not metadata:
        return []
    pairs = metadata.items() if isinstance(metadata, Mapping) else metadata
    return [rpc_v1.MetadataEntry(key=key, value=value) for key, value in pairs]


def _for_call(error: StewardError, method: str) -> StewardError:
    """A copy of a connection-level error for one call."""
    return StewardError(error.raw_code, error.message, method=method, details=error.details, trailers=error.trailers)


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__

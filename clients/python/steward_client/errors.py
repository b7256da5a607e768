"""Status codes and the one exception type of the client."""

from __future__ import annotations

import enum
from collections.abc import Sequence

__all__ = ["StatusCode", "StewardError"]


class StatusCode(enum.IntEnum):
    """gRPC's status codes, with gRPC's numbers and meanings."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16

    @classmethod
    def of(cls, number: int) -> StatusCode:
        """The code numbered ``number``; UNKNOWN for a number gRPC does not define."""
        try:
            return cls(number)
        except ValueError:
            return cls.UNKNOWN


class StewardError(Exception):
    """A call that did not succeed.

    ``code`` is a :class:`StatusCode`; ``message`` is the daemon's (safe to
    show to people) or this client's explanation. Failures that happen here
    rather than in the daemon use the same codes: DEADLINE_EXCEEDED when the
    deadline passes, CANCELLED when the call is cancelled, UNAVAILABLE when the
    daemon cannot be reached or the connection breaks, RESOURCE_EXHAUSTED for a
    request over the frame limit.

    ``details`` holds the status's ``steward.rpc.v1.StatusDetail`` messages,
    ``trailers`` the END frame's metadata as (key, value) pairs, ``method``
    the method path (None for a connection-level failure).
    """

    def __init__(
        self,
        code: StatusCode | int,
        message: str = "",
        *,
        method: str | None = None,
        details: Sequence[object] = (),
        trailers: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.code = StatusCode.of(int(code))
        self.raw_code = int(code)
        self.message = message
        self.method = method
        self.details = list(details)
        self.trailers = list(trailers)
        super().__init__(code, message)

    def __str__(self) -> str:
        code = self.code.name if self.code.value == self.raw_code else f"{self.raw_code} (unknown code)"
        text = f"{code}: {self.message}" if self.message else code
        return f"{text} [{self.method}]" if self.method else text

    def __repr__(self) -> str:
        return f"StewardError({self.code.name}, {self.message!r}, method={self.method!r})"

    def __reduce__(self):  # picklable, e.g. across multiprocessing
        return (_rebuild, (self.raw_code, self.message, self.method, self.trailers))


def _rebuild(code, message, method, trailers):
    return StewardError(code, message, method=method, trailers=trailers)

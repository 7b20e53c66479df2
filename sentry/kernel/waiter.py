"""Wait queues: how a task parked in a blocking syscall learns it may retry.

A blocking handler awaits `t.wait_on(source, events)` after its non-blocking attempt
failed with EAGAIN; `source` is either a host fd (watched in the loop's epoll set) or a
WaitQueue of a Sentry object (a pipe, a socket) that calls `notify(events)` when its
state changes. Wake-ups may be spurious: the handler always retries the operation.
"""

from __future__ import annotations

from collections.abc import Callable

# poll(2) bits, shared by files, sockets and waiters.
POLLIN = 0x001
POLLPRI = 0x002
POLLOUT = 0x004
POLLERR = 0x008
POLLHUP = 0x010
POLLNVAL = 0x020
POLLRDNORM = 0x040
POLLWRNORM = 0x100
POLLRDHUP = 0x2000


class WaitQueue:
    """Callbacks to run when an object's readiness may have changed."""

    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        self._waiters: dict[int, tuple[int, Callable[[int], None]]] = {}

    def add(self, key: int, events: int, callback: Callable[[int], None]) -> None:
        """Registers `callback(events)` under `key` (one registration per key)."""
        self._waiters[key] = (events, callback)

    def remove(self, key: int) -> None:
        self._waiters.pop(key, None)

    def has_waiters(self) -> bool:
        return bool(self._waiters)

    def notify(self, events: int) -> None:
        """Wakes every waiter interested in any bit of `events`."""
        for key, (mask, cb) in list(self._waiters.items()):
            if mask & events or events & (POLLERR | POLLHUP):
                self._waiters.pop(key, None)
                cb(events)

"""Wait queues: how a task parked in a blocking syscall learns it may retry.

A blocking handler awaits `t.wait_on(source, events)` after its non-blocking attempt
failed with EAGAIN; `source` is either a host fd (watched in the loop's epoll set) or a
WaitQueue of a Sentry object (a pipe, a socket) that calls `notify(events)` when its
state changes. Wake-ups may be spurious: the handler always retries the operation.

A WaitQueue also holds hooks: callbacks that stay registered and see every notify (an
epoll interest entry is one, as in Linux's ep_poll_callback). Hooks run after the parked
tasks, the newest first; exclusive hooks (EPOLLEXCLUSIVE) run last, in registration order, until one
returns True (it woke a task), as Linux's wake-one for exclusive wait entries.
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

    __slots__ = ("_waiters", "_hooks", "_xhooks")

    def __init__(self) -> None:
        self._waiters: dict[int, tuple[int, Callable[[int], None]]] = {}
        self._hooks: dict[int, Callable[[int], bool]] = {}
        self._xhooks: dict[int, Callable[[int], bool]] = {}

    def add(self, key: int, events: int, callback: Callable[[int], None]) -> None:
        """Registers `callback(events)` under `key` (one registration per key)."""
        self._waiters[key] = (events, callback)

    def remove(self, key: int) -> None:
        self._waiters.pop(key, None)

    def hook(self, key: int, callback: Callable[[int], bool], exclusive: bool = False) -> None:
        """Registers `callback(events)` for every notify until unhook(key); it does its own
        filtering and returns whether it woke a task (only exclusive hooks' results count)."""
        (self._xhooks if exclusive else self._hooks)[key] = callback

    def unhook(self, key: int) -> None:
        self._hooks.pop(key, None)
        self._xhooks.pop(key, None)

    def has_waiters(self) -> bool:
        return bool(self._waiters or self._hooks or self._xhooks)

    def has_tasks(self) -> bool:
        """Whether a parked task waits here (not counting hooks)."""
        return bool(self._waiters)

    def notify(self, events: int) -> None:
        """Wakes every waiter interested in any bit of `events`, then runs the hooks."""
        if self._waiters:
            for key, (mask, cb) in list(self._waiters.items()):
                if mask & events or events & (POLLERR | POLLHUP):
                    self._waiters.pop(key, None)
                    cb(events)
        if self._hooks:  # newest first: Linux's add_wait_queue puts them at the head
            for hook in reversed(list(self._hooks.values())):
                hook(events)
        if self._xhooks:
            for hook in list(self._xhooks.values()):
                if hook(events):
                    break

"""Waiting on several sources at once (poll, select) and the event loop's timers.

A parked syscall yields one wait request. The simple one (kernel._Wait: one source, one
event mask) covers read/write/accept/wait4. `WaitSet` is the general one: any number of
(source, events) pairs, each a WaitQueue or a host fd number, plus an optional deadline
on the monotonic clock. The first source or timer to fire wakes the task; `disarm` then
takes the task off every other source, and so does a cancellation (signal, death), so a
parked poll never leaves a registration behind.

Timers are a heap of deadlines; the loop passes `timeout_ms()` to the platform's
next_event and calls `fire_due()` once per turn. Wake-ups may be spurious: a woken
handler re-checks readiness and the clock itself.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sentry.kernel.waiter import POLLERR, POLLHUP, WaitQueue

if TYPE_CHECKING:
    from sentry.kernel.kernel import Kernel
    from sentry.kernel.task import Task


class Timer:
    """One pending deadline (a heap entry; compare by deadline, then by creation order)."""

    __slots__ = ("deadline", "seq", "callback")

    def __init__(self, deadline: float, seq: int, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.seq = seq
        self.callback = callback

    def __lt__(self, other: Timer) -> bool:
        return (self.deadline, self.seq) < (other.deadline, other.seq)


class Timers:
    """A heap of timers on `clock` (time.monotonic; tests pass a fake clock).

    Truthy while a timer is pending: the loop's hot path checks that in one test.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._heap: list[Timer] = []
        self._seq = itertools.count()

    def __bool__(self) -> bool:
        return bool(self._heap)

    @property
    def pending(self) -> list[Timer]:
        """The heap itself (only ever changed in place): a list the loop can test cheaply."""
        return self._heap

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, deadline: float, callback: Callable[[], None]) -> Timer:
        """Runs callback() from fire_due() once the clock reaches deadline."""
        timer = Timer(deadline, next(self._seq), callback)
        heapq.heappush(self._heap, timer)
        return timer

    def cancel(self, timer: Timer) -> None:
        """Removes a pending timer (no-op if it fired or was cancelled)."""
        try:
            i = self._heap.index(timer)
        except ValueError:
            return
        last = self._heap.pop()
        if i < len(self._heap):
            self._heap[i] = last
            heapq.heapify(self._heap)

    def due(self) -> bool:
        """Whether a timer's deadline has passed (cheap when none is pending)."""
        return bool(self._heap) and self._heap[0].deadline <= self.clock()

    def timeout_ms(self) -> int:
        """What to pass to next_event: -1 without timers, else ms until the nearest (>= 0)."""
        if not self._heap:
            return -1
        left = self._heap[0].deadline - self.clock()
        # Rounded up (waking early would spin), less float noise (1000.2 - 1000 > 0.2).
        return max(0, math.ceil(left * 1000 - 1e-6))

    def fire_due(self) -> None:
        """Runs the callbacks of every timer whose deadline has passed, earliest first."""
        now = self.clock()
        heap = self._heap
        while heap and heap[0].deadline <= now:
            heapq.heappop(heap).callback()


class WaitSet:
    """The wait request of poll/select: wake when any source may be ready or at `deadline`.

    `sources` holds (source, events) pairs: a WaitQueue or a host fd number each. Errors
    and hang-ups always wake, whatever the events. `deadline` is in the kernel's timer
    clock (time.monotonic), None for no limit. An empty WaitSet with a deadline is a sleep.
    """

    __slots__ = ("sources", "deadline", "timer", "no_restart")

    def __init__(self, sources: list[tuple[Any, int]], deadline: float | None = None,
                 no_restart: bool = False) -> None:
        self.sources = sources
        self.deadline = deadline
        self.timer: Timer | None = None
        # A signal handler ends the wait with EINTR, SA_RESTART or not (Linux's
        # sock_intr_errno for socket calls with SO_RCVTIMEO/SO_SNDTIMEO).
        self.no_restart = no_restart

    @property
    def events(self) -> int:
        """The union of the events (for code that looks at one wait request's mask)."""
        ev = 0
        for _, e in self.sources:
            ev |= e
        return ev

    def __await__(self):  # type: ignore[no-untyped-def]
        yield self


async def wait_any(t: Task, sources: list[tuple[Any, int]], deadline: float | None) -> None:
    """Parks the calling syscall until one of `sources` may be ready or `deadline` passes.

    Raises nothing itself; a signal cancels the coroutine (as for t.wait_on).
    """
    await t.wait_on(WaitSet(sources, deadline), 0)


def _pairs(w: Any) -> list[tuple[Any, int]]:
    """The (source, events) pairs of a wait request, merged per source."""
    if isinstance(w, WaitSet):
        raw = w.sources
    elif isinstance(w.source, WaitSet):
        raw = w.source.sources
    else:
        return [(w.source, w.events)]
    merged: dict[Any, int] = {}
    keyed: dict[Any, Any] = {}
    for src, ev in raw:
        key = id(src) if isinstance(src, WaitQueue) else int(src)
        keyed[key] = src
        merged[key] = merged.get(key, 0) | ev
    return [(keyed[k], ev) for k, ev in merged.items()]


def _deadline_of(w: Any) -> WaitSet | None:
    if isinstance(w, WaitSet):
        return w
    if isinstance(getattr(w, "source", None), WaitSet):
        return w.source
    return None


def arm(k: Kernel, t: Task, w: Any) -> None:
    """Registers parked task t on every source of wait request w (and its timer)."""
    wake = k._wake_queue.append
    for src, events in _pairs(w):
        if isinstance(src, WaitQueue):
            src.add(id(t), events | POLLERR | POLLHUP, lambda _ev, t=t: wake(t))
        else:
            fd = int(src)
            waiters = k.fd_waiters.setdefault(fd, {})
            waiters[t] = waiters.get(t, 0) | events
            union = 0
            for ev in waiters.values():
                union |= ev
            k.platform.watch_fd(fd, union)
    ws = _deadline_of(w)
    if ws is not None and ws.deadline is not None:
        ws.timer = k.timers.add(ws.deadline, lambda t=t: wake(t))


def disarm(k: Kernel, t: Task, w: Any) -> None:
    """Takes t off every source of w: after a wake-up by one of them, or a cancellation."""
    for src, _ in _pairs(w):
        if isinstance(src, WaitQueue):
            src.remove(id(t))
            continue
        fd = int(src)
        waiters = k.fd_waiters.get(fd)
        if waiters is None or t not in waiters:
            continue
        del waiters[t]
        if not waiters:
            del k.fd_waiters[fd]
            # Off the epoll set, so the loop's fast path (no fd armed) comes back.
            k.platform.unwatch_fd(fd)
    ws = _deadline_of(w)
    if ws is not None and ws.timer is not None:
        k.timers.cancel(ws.timer)
        ws.timer = None


__all__ = ["Timer", "Timers", "WaitSet", "arm", "disarm", "wait_any"]

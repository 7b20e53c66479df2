"""timerfd: a file that counts expirations of a timer kept in the Sentry's loop.

The timer is a deadline in the kernel's timer heap (sentry/kernel/wait.py, on
CLOCK_MONOTONIC); an absolute time on CLOCK_REALTIME or CLOCK_BOOTTIME is converted when
the timer is set. Expirations accumulate (overruns of an interval timer included) until a
read of 8 bytes takes them.

Differences: TFD_TIMER_CANCEL_ON_SET is accepted but a change of the real-time clock
does not cancel the read (ECANCELED is never returned).
"""

from __future__ import annotations

import struct
import time
from typing import Any

from sentry.abi.errno import EAGAIN, EINVAL
from sentry.kernel.waiter import POLLIN, POLLRDNORM, WaitQueue
from sentry.vfs.constants import O_NONBLOCK, O_RDWR
from sentry.vfs.fsimpl.eventfd import AnonFile

CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME = 0, 1, 7
CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM = 8, 9
CLOCKS = {
    CLOCK_REALTIME: time.CLOCK_REALTIME, CLOCK_MONOTONIC: time.CLOCK_MONOTONIC,
    CLOCK_BOOTTIME: time.CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM: time.CLOCK_REALTIME,
    CLOCK_BOOTTIME_ALARM: time.CLOCK_BOOTTIME,
}
NSEC = 1_000_000_000


class TimerFd(AnonFile):
    """A timerfd description (anon_inode:[timerfd])."""

    kind = b"timerfd"

    def __init__(self, timers: Any, clockid: int, nonblock: bool) -> None:
        super().__init__(O_RDWR | (O_NONBLOCK if nonblock else 0))
        self.timers = timers  # the kernel's Timers (its clock is CLOCK_MONOTONIC)
        self.clock = CLOCKS[clockid]
        self.clockid = clockid
        self.settime_flags = 0  # the last timerfd_settime's flags (fdinfo shows them)
        self.expirations = 0
        self.deadline: float | None = None  # on the timers' clock
        self.interval = 0.0
        self.pending: Any = None
        self.queue = WaitQueue()

    # --- the timer ---------------------------------------------------------------------
    def settime(self, value: float, interval: float, absolute: bool) -> tuple[float, float]:
        """Arms (value > 0) or disarms the timer; returns the old (remaining, interval)."""
        old = self.gettime()
        self._disarm()
        self.expirations = 0
        self.interval = interval
        if value > 0:
            now = self.timers.clock()
            delay = value - time.clock_gettime(self.clock) if absolute else value
            self.deadline = now + max(delay, 0.0)
            self._arm()
        return old

    def gettime(self) -> tuple[float, float]:
        if self.deadline is None:
            return 0.0, self.interval
        return max(self.deadline - self.timers.clock(), 1e-9), self.interval

    def _arm(self) -> None:
        assert self.deadline is not None
        self.pending = self.timers.add(self.deadline, self._expired)

    def _disarm(self) -> None:
        if self.pending is not None:
            self.timers.cancel(self.pending)
            self.pending = None
        self.deadline = None

    def _expired(self) -> None:
        self.pending = None
        now = self.timers.clock()
        assert self.deadline is not None
        if self.interval > 0:
            missed = int((now - self.deadline) // self.interval)
            self.expirations += 1 + missed
            self.deadline += (1 + missed) * self.interval
            self._arm()
        else:
            self.expirations += 1
            self.deadline = None
        self.queue.notify(POLLIN)

    # --- the file ----------------------------------------------------------------------
    def read(self, n: int) -> bytes:
        if n < 8:
            raise EINVAL()
        if not self.expirations:
            raise EAGAIN()
        count, self.expirations = self.expirations, 0
        return struct.pack("<Q", count)

    def write(self, data: bytes) -> int:
        raise EINVAL()

    def poll_events(self) -> int:
        return POLLIN | POLLRDNORM if self.expirations else 0

    def wait_source(self) -> WaitQueue:
        return self.queue

    def release(self) -> None:
        self._disarm()

    def show_fdinfo(self) -> bytes:
        """/proc/<pid>/fdinfo's lines (fs/timerfd.c timerfd_show): the clock, expirations
        not yet read, the settime flags, and the time left and interval as (sec, nsec)."""
        value, interval = self.gettime()
        v, i = _to_ns(value), _to_ns(interval)
        return (b"clockid: %d\nticks: %d\nsettime flags: 0%o\nit_value: (%d, %d)\n"
                b"it_interval: (%d, %d)\n" % (self.clockid, self.expirations,
                                               self.settime_flags, v // NSEC, v % NSEC,
                                               i // NSEC, i % NSEC))



def _to_ns(seconds: float) -> int:
    return max(0, round(seconds * NSEC))


def to_seconds(sec: int, nsec: int) -> float:
    if sec < 0 or not 0 <= nsec < NSEC:
        raise EINVAL()
    return sec + nsec / NSEC

"""POSIX per-process timers (timer_create & co.), kept in the kernel's timer heap.

A timer belongs to its thread group (ids 0, 1, … per process), is deleted by exec and
exit and not inherited by fork. Its deadline is on the loop's clock (CLOCK_MONOTONIC); an
absolute CLOCK_REALTIME time is converted when the timer is set. At expiry the Sentry
queues the signal with the SI_TIMER siginfo Linux builds (si_timerid, si_overrun,
si_value) to the process (SIGEV_SIGNAL) or to one of its threads (SIGEV_THREAD_ID).

Overruns: Linux does not queue a timer's signal again while it is pending; it counts
the expirations meanwhile and writes the count into the siginfo when the signal is
dequeued. The Sentry cannot change a siginfo the host has queued: it looks at the host's
pending set at expiry, counts an expiration whose signal is still pending as an overrun,
and hands the count over with the next signal it sends.

CPU-time clocks (a process's or a thread's; `CpuTimer`): the host counts the task's CPU
time, and the Sentry reads that host clock. It looks again no sooner than the time left
could be used up (the time left divided by the CPUs the clock can run on, a thread's on
one), at least every CPU_POLL_MIN seconds, and fires when the clock has reached the
deadline: never early, late by at most that much (Linux checks them at each tick). A
timer whose clock's task is gone stops.

Differences: si_overrun and timer_getoverrun count the expirations before the signal
was sent, not until it was delivered (see above); CLOCK_REALTIME timers do not follow a
change of the real-time clock; a CPU-time timer may fire up to CPU_POLL_MIN late.
"""

from __future__ import annotations

import os
import struct
import time
from sentry.record import dataclass, field
from typing import TYPE_CHECKING, Any

from sentry.kernel import cputime, signals
from sentry.platform.native import lib

if TYPE_CHECKING:
    from sentry.kernel.kernel import Kernel
    from sentry.kernel.task import Task
    from sentry.kernel.thread_group import ThreadGroup

SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4
SI_TIMER = -2
DELAYTIMER_MAX = 0x7FFFFFFF
# The clocks a timer may use, with the host clock that reads them.
CLOCKS = {0: time.CLOCK_REALTIME, 1: time.CLOCK_MONOTONIC, 7: time.CLOCK_BOOTTIME}
CPU_POLL_MIN = 0.002  # seconds: how late a CPU-time timer may fire at most


@dataclass(eq=False)
class PosixTimer:
    tid: int  # its id in the process
    tg: ThreadGroup
    clock: int  # a host clock id (CLOCKS)
    notify: int  # SIGEV_*
    signo: int
    value: int  # sigev_value, 8 bytes as the guest gave them
    target: Task | None = None  # SIGEV_THREAD_ID's thread
    deadline: float | None = None  # on the kernel's timers' clock
    interval: float = 0.0
    pending: Any = None  # the heap entry
    overrun: int = 0  # expirations not delivered since the last signal
    last_overrun: int = 0  # timer_getoverrun
    kernel: Kernel | None = field(default=None, repr=False)

    def settime(self, value: float, interval: float, absolute: bool) -> tuple[float, float]:
        """Arms (value > 0) or disarms; returns the old (remaining, interval)."""
        k = self.kernel
        assert k is not None
        old = self.gettime()
        self.disarm()
        self.interval = interval
        self.overrun = 0
        if value > 0:
            delay = value - time.clock_gettime(self.clock) if absolute else value
            self.deadline = k.timers.clock() + max(delay, 0.0)
            self.pending = k.timers.add(self.deadline, self._expired)
        return old

    def gettime(self) -> tuple[float, float]:
        if self.deadline is None or self.kernel is None:
            return 0.0, self.interval
        return max(self.deadline - self.kernel.timers.clock(), 1e-9), self.interval

    def disarm(self) -> None:
        if self.pending is not None and self.kernel is not None:
            self.kernel.timers.cancel(self.pending)
        self.pending = None
        self.deadline = None

    def _expired(self) -> None:
        k = self.kernel
        assert k is not None and self.deadline is not None
        self.pending = None
        fired = 1
        if self.interval > 0:
            now = k.timers.clock()
            missed = int((now - self.deadline) // self.interval)
            fired += max(missed, 0)
            self.deadline += fired * self.interval
            self.pending = k.timers.add(self.deadline, self._expired)
        else:
            self.deadline = None
        if self.notify == SIGEV_NONE or not self.tg.tasks:
            return
        self._signal(k, fired)

    def _signal(self, k: Kernel, fired: int) -> None:
        target = self.target if self.notify & SIGEV_THREAD_ID else None
        if target is not None and target not in self.tg.tasks:
            return  # the thread is gone: Linux drops the signal
        host_tid = target.host_tid if target else self.tg.host_pid
        if signals.is_pending(host_tid, self.signo, shared=target is None):
            self.overrun = min(self.overrun + fired, DELAYTIMER_MAX)
            return
        overrun = min(self.overrun + fired - 1, DELAYTIMER_MAX)
        self.overrun = 0
        self.last_overrun = overrun
        info = struct.pack("<iiiiiiq", self.signo, 0, SI_TIMER, 0, self.tid, overrun,
                           self.value).ljust(128, b"\0")
        if lib.st_sigqueueinfo(self.tg.host_pid, target.host_tid if target else 0,
                               self.signo, info) == 0:
            k.signals_sent(self.tg)


@dataclass(eq=False)
class CpuTimer(PosixTimer):
    """A timer on a CPU-time clock: `clock` is the host's id of that clock (the task's
    host pid or tid encoded); deadline and interval are CPU seconds."""

    def _cpu_now(self) -> float | None:
        ns = cputime.read_ns(self.clock)
        return None if ns is None else ns / 1e9  # None: the task is gone

    def settime(self, value: float, interval: float, absolute: bool) -> tuple[float, float]:
        old = self.gettime()
        self.disarm()
        self.interval = interval
        self.overrun = 0
        now = self._cpu_now()
        if value > 0 and now is not None:
            self.deadline = value if absolute else now + value
            self._schedule(now)
        return old

    def gettime(self) -> tuple[float, float]:
        now = self._cpu_now() if self.deadline is not None else None
        if self.deadline is None or now is None:
            return 0.0, self.interval
        return max(self.deadline - now, 1e-9), self.interval

    def _schedule(self, now: float) -> None:
        k = self.kernel
        assert k is not None and self.deadline is not None
        cpus = 1 if self.clock & cputime.CPUCLOCK_PERTHREAD else len(os.sched_getaffinity(0))
        wait = max((self.deadline - now) / cpus, CPU_POLL_MIN)
        self.pending = k.timers.add(k.timers.clock() + wait, self._expired)

    def _expired(self) -> None:
        k = self.kernel
        assert k is not None and self.deadline is not None
        self.pending = None
        now = self._cpu_now()
        if now is None or not self.tg.tasks:
            self.deadline = None
            return
        if now < self.deadline:
            self._schedule(now)  # not yet: the task has not run enough
            return
        fired = 1
        if self.interval > 0:
            fired += int((now - self.deadline) // self.interval)
            self.deadline += fired * self.interval
            self._schedule(now)
        else:
            self.deadline = None
        if self.notify != SIGEV_NONE:
            self._signal(k, fired)


def delete_all(tg: ThreadGroup) -> None:
    """exec and exit: the process's timers are gone."""
    for timer in tg.posix_timers.values():
        timer.disarm()
    tg.posix_timers.clear()

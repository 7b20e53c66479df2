"""Clocks the host cannot be trusted to read for the guest: other tasks' CPU clocks.

System-wide clocks (and the caller's own CPU clocks) are allow-listed host calls; the
filter sends every other clock id here. A negative id names a process or thread CPU clock
(Linux's encoding: ~pid << 3 | perthread << 2 | which); the Sentry translates the guest
pid to the host's and reads the host clock (a thread's from /proc: sentry/kernel/cputime.py).
"""

from __future__ import annotations

import os
import struct

from sentry.abi.errno import EINVAL
from sentry.kernel import cputime
from sentry.kernel.args import Args
from sentry.kernel.posix_timers import CPU_POLL_MIN
from sentry.kernel.process import task_by_vtid
from sentry.kernel.wait import WaitSet
from sentry.kernel.task import Task

CPUCLOCK_PERTHREAD = 4
CPUCLOCK_WHICH_MASK = 3
CLOCKFD = 3  # dynamic (fd-based) clocks: none in the sandbox
_TIMESPEC = struct.Struct("<qq")
NS = 1_000_000_000
TIMER_ABSTIME = 1


def host_clock(t: Task, clockid: int) -> int:
    """The host clock id for a guest CPU-clock id; EINVAL for anything else."""
    if clockid >= 0:
        raise EINVAL()  # non-negative ids beyond the allow-listed ones do not exist
    which = clockid & CPUCLOCK_WHICH_MASK
    if which == CLOCKFD:
        raise EINVAL()
    pid = ~(clockid >> 3)
    if clockid & CPUCLOCK_PERTHREAD:
        if pid == 0:
            host = t.host_tid
        else:
            task = task_by_vtid(t.kernel, pid)
            if task is None or task.tg is not t.tg:  # Linux: only threads of the caller
                raise EINVAL()
            host = task.host_tid
    else:
        tg = t.tg if pid == 0 else t.kernel.thread_groups.get(pid)
        if tg is None or not tg.tasks:
            raise EINVAL()
        host = tg.host_pid
    return (~host << 3) | (clockid & 7)


def _read(t: Task, clockid: int, res: bool) -> bytes:
    ns = cputime.read_ns(host_clock(t, clockid), res)
    if ns is None:
        raise EINVAL()  # its task is gone
    return _TIMESPEC.pack(*divmod(ns, 1_000_000_000))


def sys_clock_gettime(t: Task, a: Args) -> int:
    """Implements clock_gettime(2) for the clock ids the host does not serve directly."""
    data = _read(t, a.int(0), False)
    t.mem.write(a.ptr(1), data)
    return 0


def sys_clock_getres(t: Task, a: Args) -> int:
    """Implements clock_getres(2) for the clock ids the host does not serve directly."""
    data = _read(t, a.int(0), True)
    if a.ptr(1):
        t.mem.write(a.ptr(1), data)
    return 0


async def sys_clock_nanosleep(t: Task, a: Args) -> int:
    """Implements clock_nanosleep(2) for the ids the host does not serve directly: a
    process's CPU clock (a thread's is EINVAL, as Linux), until it has reached the time.
    The clock is looked at as posix_timers.CpuTimer does (up to CPU_POLL_MIN late); a
    signal handler ends the sleep with EINTR and the time left in `rem` (relative).

    Differences: a bad `rem` at the interruption is not reported (EINTR all the same).
    """
    clockid, flags, req, rem = a.int(0), a.int(1), a.ptr(2), a.ptr(3)
    clock = host_clock(t, clockid)
    sec, nsec = _TIMESPEC.unpack(t.mem.read(req, _TIMESPEC.size))
    if clock & CPUCLOCK_PERTHREAD or sec < 0 or not 0 <= nsec < NS:
        raise EINVAL()
    now = cputime.read_ns(clock)
    if now is None:
        raise EINVAL()
    target = sec * NS + nsec + (0 if flags & TIMER_ABSTIME else now)
    cpus = len(os.sched_getaffinity(0))
    try:
        while now is not None and now < target:  # None: the process is gone (Linux: 0)
            wait = max((target - now) / NS / cpus, CPU_POLL_MIN)
            await t.wait_on(WaitSet([], t.kernel.timers.clock() + wait, no_restart=True), 0)
            now = cputime.read_ns(clock)
    except GeneratorExit:  # interrupted: the time left, for a relative sleep
        if rem and not flags & TIMER_ABSTIME and now is not None:
            left = max(target - (cputime.read_ns(clock) or now), 0)
            t.mem.write_partial(rem, _TIMESPEC.pack(*divmod(left, NS)))
        raise
    return 0

"""POSIX timers: timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete
(sentry/kernel/posix_timers.py keeps them in the kernel's timer heap)."""

from __future__ import annotations

import struct

from sentry.abi.errno import EAGAIN, EINVAL
from sentry.kernel.args import Args
from sentry.kernel.posix_timers import (
    CLOCKS, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_THREAD_ID, CpuTimer, PosixTimer,
)
from sentry.kernel.task import Task
from sentry.syscalls.sys_time import host_clock
from sentry.syscalls.sys_timerfd import _ITIMERSPEC, _pack, to_seconds

SIGALRM = 14
NSIG = 64
TIMER_ABSTIME = 1
MAX_TIMERS = 1 << 15
SIGEVENT = struct.Struct("<qiii")  # sigev_value, sigev_signo, sigev_notify, sigev_notify_thread_id
CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 2, 3
CPUCLOCK_SCHED, CPUCLOCK_PERTHREAD = 2, 4


def _cpu_clock(t: Task, clockid: int) -> int | None:
    """The host id of a CPU-time clock (the caller's, or one clock_getcpuclockid or
    pthread_getcpuclockid made: EINVAL for a bad one), None for the other clocks."""
    if clockid == CLOCK_PROCESS_CPUTIME_ID:
        return (~t.tg.host_pid << 3) | CPUCLOCK_SCHED
    if clockid == CLOCK_THREAD_CPUTIME_ID:
        return (~t.host_tid << 3) | CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED
    return host_clock(t, clockid) if clockid < 0 else None


def _timer(t: Task, timerid: int) -> PosixTimer:
    timer = t.tg.posix_timers.get(timerid)
    if timer is None:
        raise EINVAL()
    return timer


def sys_timer_create(t: Task, a: Args) -> int:
    """Implements timer_create(2). Differences: the alarm clocks are EINVAL; CPU-time
    timers may fire a little late (posix_timers.CpuTimer)."""
    clockid, sevp, idp = a.int(0), a.ptr(1), a.ptr(2)
    cpu_clock = _cpu_clock(t, clockid)
    if cpu_clock is None and clockid not in CLOCKS:
        raise EINVAL()
    tg = t.tg
    tid = next((i for i in range(MAX_TIMERS) if i not in tg.posix_timers), None)
    if tid is None:
        raise EAGAIN()
    value, signo, notify, target = tid, SIGALRM, SIGEV_SIGNAL, None
    if sevp:
        value, signo, notify, thread = SIGEVENT.unpack(t.mem.read(sevp, SIGEVENT.size))
        if notify not in (SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID):
            raise EINVAL()
        if notify != SIGEV_NONE and not 1 <= signo <= NSIG:
            raise EINVAL()
        if notify & SIGEV_THREAD_ID:
            target = next((x for x in tg.tasks if x.vtid == thread), None)
            if target is None:
                raise EINVAL()
    if cpu_clock is not None:
        timer: PosixTimer = CpuTimer(tid, tg, cpu_clock, notify, signo, value, target,
                                     kernel=t.kernel)
    else:
        timer = PosixTimer(tid, tg, CLOCKS[clockid], notify, signo, value, target,
                           kernel=t.kernel)
    t.mem.write_i32(idp, tid)  # EFAULT before the timer exists
    tg.posix_timers[tid] = timer
    return 0


def sys_timer_settime(t: Task, a: Args) -> int:
    """Implements timer_settime(2)."""
    flags, new, old = a.int(1), a.ptr(2), a.ptr(3)
    isec, insec, vsec, vnsec = _ITIMERSPEC.unpack(t.mem.read(new, _ITIMERSPEC.size))
    interval, value = to_seconds(isec, insec), to_seconds(vsec, vnsec)
    timer = _timer(t, a.int(0))
    if old:
        t.mem.write(old, _pack(*timer.gettime()))
    timer.settime(value, interval, bool(flags & TIMER_ABSTIME))
    return 0


def sys_timer_gettime(t: Task, a: Args) -> int:
    """Implements timer_gettime(2)."""
    timer = _timer(t, a.int(0))
    t.mem.write(a.ptr(1), _pack(*timer.gettime()))
    return 0


def sys_timer_getoverrun(t: Task, a: Args) -> int:
    """Implements timer_getoverrun(2)."""
    return _timer(t, a.int(0)).last_overrun


def sys_timer_delete(t: Task, a: Args) -> int:
    """Implements timer_delete(2)."""
    timer = _timer(t, a.int(0))
    timer.disarm()
    del t.tg.posix_timers[timer.tid]
    return 0

"""timerfd_create, timerfd_settime, timerfd_gettime (sentry/vfs/fsimpl/timerfd.py)."""

from __future__ import annotations

import struct

from sentry.abi.errno import EINVAL
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.vfs.constants import O_CLOEXEC, O_NONBLOCK
from sentry.vfs.fsimpl.timerfd import CLOCKS, NSEC, TimerFd, to_seconds

TFD_CLOEXEC, TFD_NONBLOCK = O_CLOEXEC, O_NONBLOCK
TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET = 1, 2
_ITIMERSPEC = struct.Struct("<qqqq")  # it_interval, it_value


def _timerfd(t: Task, fd: int) -> TimerFd:
    f = t.fds.get(fd)  # EBADF
    if not isinstance(f, TimerFd):
        raise EINVAL()
    return f


def _pack(value: float, interval: float) -> bytes:
    def split(x: float) -> tuple[int, int]:
        ns = int(round(x * NSEC))
        return ns // NSEC, ns % NSEC

    return _ITIMERSPEC.pack(*split(interval), *split(value))


def sys_timerfd_create(t: Task, a: Args) -> int:
    """Implements timerfd_create(2)."""
    clockid, flags = a.int(0), a.int(1)
    if clockid not in CLOCKS or flags & ~(TFD_CLOEXEC | TFD_NONBLOCK):
        raise EINVAL()
    f = TimerFd(t.kernel.timers, clockid, bool(flags & TFD_NONBLOCK))
    return t.fds.install(f, bool(flags & TFD_CLOEXEC))


def sys_timerfd_settime(t: Task, a: Args) -> int:
    """Implements timerfd_settime(2). Differences: see the module note on CANCEL_ON_SET."""
    f, flags, new, old = _timerfd(t, a.int(0)), a.int(1), a.ptr(2), a.ptr(3)
    if flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET):
        raise EINVAL()
    isec, insec, vsec, vnsec = _ITIMERSPEC.unpack(t.mem.read(new, _ITIMERSPEC.size))
    interval, value = to_seconds(isec, insec), to_seconds(vsec, vnsec)
    before = f.settime(value, interval, bool(flags & TFD_TIMER_ABSTIME))
    f.settime_flags = flags  # (fdinfo's "settime flags")
    if old:
        t.mem.write(old, _pack(*before))
    return 0


def sys_timerfd_gettime(t: Task, a: Args) -> int:
    """Implements timerfd_gettime(2)."""
    f = _timerfd(t, a.int(0))
    t.mem.write(a.ptr(1), _pack(*f.gettime()))
    return 0

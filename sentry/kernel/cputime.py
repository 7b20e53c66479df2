"""CPU-time clocks of sandbox tasks, read from the host.

The host serves a process's CPU clock to anyone (clock_gettime of its encoded id), but a
thread's only to the threads of its own process: the Sentry reads a thread's from /proc
(schedstat's run time for CPUCLOCK_SCHED, the ns the host's own thread clock counts; stat's
utime and stime, in clock ticks, for CPUCLOCK_PROF and CPUCLOCK_VIRT).
"""

from __future__ import annotations

import os

from sentry.platform.native import ffi, lib

CPUCLOCK_PROF, CPUCLOCK_VIRT, CPUCLOCK_SCHED = 0, 1, 2
CPUCLOCK_PERTHREAD = 4
CPUCLOCK_WHICH_MASK = 3
_TICK_NS = 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def _host_clock(clock: int, res: bool) -> int | None:
    sec, nsec = ffi.new("long long *"), ffi.new("long long *")
    if lib.st_clock(clock, int(res), sec, nsec) < 0:
        return None
    return sec[0] * 1_000_000_000 + nsec[0]


def _read_proc(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return os.read(fd, 4096)
    finally:
        os.close(fd)


def _thread_ns(tid: int, which: int) -> int | None:
    try:
        if which == CPUCLOCK_SCHED:
            try:
                return int(_read_proc(f"/proc/{tid}/schedstat").split()[0])
            except OSError:
                if not os.path.exists(f"/proc/{tid}"):
                    return None  # gone; else a host without schedstat: the ticks below
        fields = _read_proc(f"/proc/{tid}/stat").rsplit(b")", 1)[1].split()
    except OSError:
        return None  # the thread is gone
    utime, stime = int(fields[11]), int(fields[12])
    return (utime if which == CPUCLOCK_VIRT else utime + stime) * _TICK_NS


def read_ns(clock: int, res: bool = False) -> int | None:
    """The value (or, `res`, the resolution) in ns of the host CPU clock `clock` (a task's
    host pid or tid encoded as Linux does); None if its task is gone."""
    if not clock & CPUCLOCK_PERTHREAD:
        return _host_clock(clock, res)
    which = clock & CPUCLOCK_WHICH_MASK
    if res:  # the same for every thread: the Sentry's own thread's clock of that kind
        return _host_clock(~0 << 3 | CPUCLOCK_PERTHREAD | which, True)
    return _thread_ns(~(clock >> 3), which)


def cpu_soft_limit(host_pid: int) -> int | None:
    """RLIMIT_CPU's soft limit on the host process (from /proc: the Sentry's own filter
    refuses prlimit64 on other processes): the kernel raises it by a second at each
    SIGXCPU, up to the hard limit. None if the process is gone or has no limit."""
    try:
        text = _read_proc(f"/proc/{host_pid}/limits")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(b"Max cpu time"):
            soft = line[len(b"Max cpu time"):].split()[0]
            return int(soft) if soft.isdigit() else None
    return None

"""epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2.

The instance is a Sentry file with Linux's ready list (sentry/vfs/fsimpl/epoll.py):
epoll_wait takes what is ready, else parks on the set's own queue (and on the host fds of
host-backed files) until its deadline.
"""

from __future__ import annotations

import struct

from sentry.abi.errno import EINVAL
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.kernel.sigmask import INTERRUPTED
from sentry.syscalls.sys_poll import (
    _check_sigmask, _deadline, _read_timespec, clock, signal_ends, with_sigmask,
)
from sentry.kernel.wait import wait_any
from sentry.vfs.constants import O_CLOEXEC
from sentry.vfs.fsimpl.epoll import EPOLL_CTL_DEL, EpollFile, epoll_ctl

EPOLL_CLOEXEC = O_CLOEXEC
_EVENT = struct.Struct("<IQ")  # struct epoll_event is packed on x86-64: 12 bytes
MAX_EVENTS = 0x7FFFFFFF // _EVENT.size


def _create(t: Task, flags: int) -> int:
    if flags & ~EPOLL_CLOEXEC:
        raise EINVAL()
    return t.fds.install(EpollFile(), bool(flags & EPOLL_CLOEXEC))


def sys_epoll_create(t: Task, a: Args) -> int:
    """Implements epoll_create(2)."""
    if a.int(0) <= 0:
        raise EINVAL()
    return _create(t, 0)


def sys_epoll_create1(t: Task, a: Args) -> int:
    """Implements epoll_create1(2)."""
    return _create(t, a.int(0))


def _epoll(t: Task, epfd: int) -> EpollFile:
    ep = t.fds.get(epfd)  # EBADF
    if not isinstance(ep, EpollFile):
        raise EINVAL()
    return ep


def sys_epoll_ctl(t: Task, a: Args) -> int:
    """Implements epoll_ctl(2). Differences: Linux's limit on wake-up paths (EINVAL from
    reverse_path_check, for a file in more than 1000 sets) is not applied."""
    epfd, op, fd, ptr = a.int(0), a.int(1), a.int(2), a.ptr(3)
    events = data = 0
    if op != EPOLL_CTL_DEL:  # DEL ignores the event argument; the others read it first
        events, data = _EVENT.unpack(t.mem.read(ptr, _EVENT.size))
    ep = t.fds.get(epfd)  # EBADF
    target = t.fds.get(fd)  # EBADF
    epoll_ctl(ep, op, fd, target, events, data)
    return 0


async def _wait(t: Task, epfd: int, ptr: int, maxevents: int, deadline: float | None) -> int:
    if not 0 < maxevents <= MAX_EVENTS:
        raise EINVAL()
    ep = _epoll(t, epfd)
    while True:
        ready = ep.collect(maxevents)
        if ready or (deadline is not None and clock() >= deadline):
            break
        if signal_ends(t):  # after the timeout, as Linux's ep_poll
            return INTERRUPTED
        await wait_any(t, ep.waits(), deadline)
    if ready:
        t.mem.write(ptr, b"".join(_EVENT.pack(ev, data) for ev, data in ready))
    return len(ready)


def _ms_deadline(timeout: int) -> float | None:
    return None if timeout < 0 else _deadline(timeout // 1000, timeout % 1000 * 1_000_000)


async def sys_epoll_wait(t: Task, a: Args) -> int:
    """Implements epoll_wait(2)."""
    return await _wait(t, a.int(0), a.ptr(1), a.int(2), _ms_deadline(a.int(3)))


async def sys_epoll_pwait(t: Task, a: Args) -> int:
    """Implements epoll_pwait(2)."""
    mask = _check_sigmask(t, a.ptr(4), a.size(5))
    return await with_sigmask(t, mask, _wait(t, a.int(0), a.ptr(1), a.int(2),
                                             _ms_deadline(a.int(3))))


async def sys_epoll_pwait2(t: Task, a: Args) -> int:
    """Implements epoll_pwait2(2)."""
    mask = _check_sigmask(t, a.ptr(4), a.size(5))
    return await with_sigmask(t, mask, _wait(t, a.int(0), a.ptr(1), a.int(2),
                                             _read_timespec(t, a.ptr(3))))

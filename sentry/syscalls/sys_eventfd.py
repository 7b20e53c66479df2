"""eventfd and eventfd2: a Sentry counter file (sentry/vfs/fsimpl/eventfd.py)."""

from __future__ import annotations

from sentry.abi.errno import EINVAL
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.vfs.constants import O_CLOEXEC, O_NONBLOCK
from sentry.vfs.fsimpl.eventfd import EFD_SEMAPHORE, EventFd

EFD_CLOEXEC = O_CLOEXEC
EFD_NONBLOCK = O_NONBLOCK


def _eventfd(t: Task, initval: int, flags: int) -> int:
    if flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE):
        raise EINVAL()
    f = EventFd(initval, bool(flags & EFD_SEMAPHORE), bool(flags & EFD_NONBLOCK))
    return t.fds.install(f, bool(flags & EFD_CLOEXEC))


def sys_eventfd(t: Task, a: Args) -> int:
    """Implements eventfd(2) (the flag-less original)."""
    return _eventfd(t, a.uint(0), 0)


def sys_eventfd2(t: Task, a: Args) -> int:
    """Implements eventfd2(2)."""
    return _eventfd(t, a.uint(0), a.int(1))

"""signalfd and signalfd4: a file that reads the caller's pending signals
(sentry/vfs/fsimpl/signalfd.py)."""

from __future__ import annotations

from sentry.abi.errno import EBADF, EINVAL
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.vfs.constants import O_CLOEXEC, O_NONBLOCK
from sentry.vfs.fsimpl.signalfd import SignalFd

SFD_CLOEXEC = O_CLOEXEC
SFD_NONBLOCK = O_NONBLOCK
SIGSET_SIZE = 8


def _signalfd(t: Task, fd: int, mask_addr: int, sizemask: int, flags: int) -> int:
    """Linux's order: sizemask (EINVAL), the mask (EFAULT), flags (EINVAL); then a new
    file (fd -1) or a new mask for the signalfd at fd (EBADF if not open, EINVAL if not
    a signalfd)."""
    if sizemask != SIGSET_SIZE:
        raise EINVAL()
    mask = t.mem.read_u64(mask_addr)
    if flags & ~(SFD_CLOEXEC | SFD_NONBLOCK):
        raise EINVAL()
    if fd == -1:
        f = SignalFd(t.kernel, mask, bool(flags & SFD_NONBLOCK))
        return t.fds.install(f, bool(flags & SFD_CLOEXEC))
    if fd < 0:
        raise EBADF()
    f = t.fds.get(fd)
    if not isinstance(f, SignalFd):
        raise EINVAL()
    f.set_mask(mask)
    return fd


def sys_signalfd(t: Task, a: Args) -> int:
    """Implements signalfd(2) (no flags)."""
    return _signalfd(t, a.int(0), a.ptr(1), a.size(2), 0)


def sys_signalfd4(t: Task, a: Args) -> int:
    """Implements signalfd4(2)."""
    return _signalfd(t, a.int(0), a.ptr(1), a.size(2), a.int(3))

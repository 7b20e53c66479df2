"""ioctl(2): the generic requests, then the file's own."""

from __future__ import annotations

from sentry.abi.errno import EBADF
from sentry.kernel import fasync
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.vfs.constants import O_ASYNC, O_NONBLOCK
from sentry.vfs.file import SeekableFile

FIONREAD = 0x541B
FIONBIO = 0x5421
FIONCLEX = 0x5450
FIOCLEX = 0x5451
FIOASYNC = 0x5452


def sys_ioctl(t: Task, a: Args) -> int:
    """Implements ioctl(2). Differences: the generic FIONREAD, FIONBIO, FIOASYNC, FIOCLEX and
    FIONCLEX, plus what each file implements (ptys: sentry/vfs/fsimpl/devpts; host stdio)."""
    fd, cmd, arg = a.int(0), a.uint(1), a.ptr(2)
    f = t.fds.get(fd)
    if f.is_path:
        raise EBADF()
    if cmd == FIOCLEX or cmd == FIONCLEX:
        t.fds.set_cloexec(fd, cmd == FIOCLEX)
        return 0
    if cmd == FIONBIO or cmd == FIOASYNC:
        bit = O_NONBLOCK if cmd == FIONBIO else O_ASYNC
        on = t.mem.read_i32(arg) != 0
        if bit == O_ASYNC and on != bool(f.flags & O_ASYNC):
            fasync.set_flag(t, f, fd, on)
        f.flags = f.flags | bit if on else f.flags & ~bit
        return 0
    if cmd == FIONREAD and isinstance(f, SeekableFile):
        t.mem.write_i32(arg, max(0, min(f.size() - f.offset, 0x7FFFFFFF)))
        return 0
    return f.ioctl(t, cmd, arg)

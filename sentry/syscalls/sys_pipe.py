"""pipe and pipe2: a Sentry pipe (sentry/vfs/fsimpl/pipe.py) and two new fds."""

from __future__ import annotations

import struct

from sentry.abi.errno import EINVAL, ENOPKG, SysError
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.vfs.constants import O_CLOEXEC, O_DIRECT, O_EXCL, O_NONBLOCK
from sentry.vfs.fsimpl.pipe import new_pipe

O_NOTIFICATION_PIPE = O_EXCL  # Linux reuses O_EXCL's bit for watch-queue pipes


def _pipe2(t: Task, addr: int, flags: int) -> int:
    if flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE):
        raise EINVAL()
    if flags & O_NOTIFICATION_PIPE:
        raise ENOPKG()  # a kernel without CONFIG_WATCH_QUEUE says so
    r, w = new_pipe(t, flags)
    cloexec = bool(flags & O_CLOEXEC)
    fds: list[int] = []
    try:
        for f in (r, w):
            fds.append(t.fds.install(f, cloexec))
        t.mem.write(addr, struct.pack("<ii", *fds))
    except SysError:
        for fd in fds:
            t.fds.close(fd)  # undo: as if the call never happened
        for f in (r, w):
            if f.refs == 0:
                f.release()
        raise
    return 0


def sys_pipe(t: Task, a: Args) -> int:
    """Implements pipe(2)."""
    return _pipe2(t, a.ptr(0), 0)


def sys_pipe2(t: Task, a: Args) -> int:
    """Implements pipe2(2). Differences: O_NOTIFICATION_PIPE gives ENOPKG (no watch queues,
    as on a kernel built without them)."""
    return _pipe2(t, a.ptr(0), a.int(1))

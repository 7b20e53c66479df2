"""kcmp(2): whether two tasks share a kernel object, compared by identity in the Sentry.

The objects are the Sentry's own: file descriptions, address spaces (MM), fd tables, fs
contexts. Like Linux, kcmp orders different objects by a value derived from their
identity through a per-boot random cookie per kind (1: less, 2: greater), so the order
is stable within the sandbox and tells nothing about memory layout.
"""

from __future__ import annotations

import os
from typing import Any

from sentry.abi.errno import EBADF, EINVAL, EOPNOTSUPP, EPERM, ESRCH
from sentry.kernel.args import Args
from sentry.kernel.creds import may_inspect
from sentry.kernel.process import task_by_vtid
from sentry.kernel.task import Task

KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO, KCMP_SYSVSEM = range(7)
KCMP_EPOLL_TFD = 7
_M64 = (1 << 64) - 1


def _random64() -> int:
    return int.from_bytes(os.urandom(8), "little")  # (not secrets: ~4 ms of imports at start)


_COOKIES = [(_random64(), _random64() | 1) for _ in range(KCMP_EPOLL_TFD + 1)]


def _order(a: Any, b: Any, kind: int) -> int:
    """kcmp_ptr: 0 for the same object, else 1 or 2 by the obfuscated identities."""
    if a is b:
        return 0
    xor, mul = _COOKIES[kind]
    ka, kb = ((id(a) ^ xor) * mul) & _M64, ((id(b) ^ xor) * mul) & _M64
    return 1 if ka < kb else 2


def _file(task: Task, fd: int) -> Any:
    try:
        return task.fds.get(fd)
    except EBADF:
        return None


def sys_kcmp(t: Task, a: Args) -> int:
    """Implements kcmp(2). Differences: KCMP_SIGHAND compares thread groups (CLONE_SIGHAND
    without CLONE_THREAD is not told apart); KCMP_IO sees every task's I/O context as
    absent (equal), as Linux does for tasks that never queued block I/O;
    KCMP_EPOLL_TFD is EOPNOTSUPP."""
    pid1, pid2, kind = a.int(0), a.int(1), a.int(2)
    t1, t2 = task_by_vtid(t.kernel, pid1), task_by_vtid(t.kernel, pid2)
    if t1 is None or t2 is None:
        raise ESRCH()
    c = t.creds
    if not may_inspect(c, t1, t1.tg is t.tg) or not may_inspect(c, t2, t2.tg is t.tg):
        raise EPERM()
    if kind == KCMP_FILE:
        f1, f2 = _file(t1, a.int(3)), _file(t2, a.int(4))
        if f1 is None or f2 is None:
            raise EBADF()
        return _order(f1, f2, kind)
    objects = {KCMP_VM: lambda x: x.tg.mm, KCMP_FILES: lambda x: x.fds,
               KCMP_FS: lambda x: x.fs, KCMP_SIGHAND: lambda x: x.tg,
               KCMP_IO: lambda x: None, KCMP_SYSVSEM: lambda x: x.semundo}
    get = objects.get(kind)
    if get is not None:
        return _order(get(t1), get(t2), kind)
    if kind == KCMP_EPOLL_TFD:
        raise EOPNOTSUPP()
    raise EINVAL()

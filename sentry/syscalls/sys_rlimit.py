"""Resource limits as the guest sees them; RLIMIT_NOFILE is enforced by the fd table."""

from __future__ import annotations

import struct

from sentry.abi.errno import EINVAL, EPERM, ESRCH
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.kernel.thread_group import RLIM_INFINITY, RLIMIT_NAMES, RLIMIT_NOFILE, ThreadGroup

_RLIMIT = struct.Struct("<QQ")
NR_OPEN = 1 << 20  # fs.nr_open: the ceiling for RLIMIT_NOFILE


def _target(t: Task, pid: int) -> ThreadGroup:
    if pid == 0 or pid == t.tg.vpid:
        return t.tg
    tg = t.kernel.thread_groups.get(pid)
    if tg is None:
        raise ESRCH()
    return tg


def _set(t: Task, tg: ThreadGroup, resource: int, soft: int, hard: int) -> None:
    if soft > hard:
        raise EINVAL()
    old_soft, old_hard = tg.rlimits[resource]
    if hard > old_hard and t.creds.euid != 0:
        raise EPERM()
    if resource == RLIMIT_NOFILE and hard > NR_OPEN and hard != RLIM_INFINITY:
        raise EPERM()
    tg.rlimits[resource] = (soft, hard)
    if resource == RLIMIT_NOFILE:
        for task in tg.tasks:
            task.fds.limit = soft


def sys_prlimit64(t: Task, a: Args) -> int:
    """Implements prlimit64(2)."""
    pid, resource, new, old = a.int(0), a.int(1), a.ptr(2), a.ptr(3)
    if not 0 <= resource < len(RLIMIT_NAMES):
        raise EINVAL()
    tg = _target(t, pid)
    current = tg.rlimits[resource]
    if new:
        soft, hard = _RLIMIT.unpack(t.mem.read(new, 16))
        _set(t, tg, resource, soft, hard)
    if old:
        t.mem.write(old, _RLIMIT.pack(*current))
    return 0


def sys_getrlimit(t: Task, a: Args) -> int:
    """Implements getrlimit(2)."""
    resource = a.int(0)
    if not 0 <= resource < len(RLIMIT_NAMES):
        raise EINVAL()
    t.mem.write(a.ptr(1), _RLIMIT.pack(*t.tg.rlimits[resource]))
    return 0


def sys_setrlimit(t: Task, a: Args) -> int:
    """Implements setrlimit(2)."""
    resource = a.int(0)
    if not 0 <= resource < len(RLIMIT_NAMES):
        raise EINVAL()
    soft, hard = _RLIMIT.unpack(t.mem.read(a.ptr(1), 16))
    _set(t, t.tg, resource, soft, hard)
    return 0

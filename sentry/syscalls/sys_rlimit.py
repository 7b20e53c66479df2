"""Resource limits as the guest sees them.

RLIMIT_NOFILE is enforced by the fd table, RLIMIT_NPROC by clone. The limits on what the
task does on the host by itself (its own memory through allow-listed mmap and brk growth,
mlock, CPU time, pending signals) are set on the host process too, so that the host
enforces them as Linux would: a memory bomb under RLIMIT_AS gets ENOMEM. The Sentry
checks the call and records the guest's view, then lets the host run it as issued (a
HOST answer: it acts on the caller's own limits, and the host's own checks still apply).

Differences: such a limit set on another process (prlimit64 with a pid), or a hard
limit raised by the guest's root (the task has no host capability), is recorded in the
guest's view only and not enforced by the host.
"""

from __future__ import annotations

import struct

from sentry.abi.errno import EINVAL, EPERM, ESRCH
from sentry.kernel import cputime
from sentry.kernel.args import Args
from sentry.kernel.fd_table import NR_OPEN  # fs.nr_open: the ceiling for RLIMIT_NOFILE
from sentry.kernel.kernel import HOST
from sentry.kernel.task import Task
from sentry.kernel.thread_group import RLIM_INFINITY, RLIMIT_NAMES, RLIMIT_NOFILE, ThreadGroup
from sentry.kernel.creds import CAP_SYS_RESOURCE, capable

RLIMIT_CPU = 0

_RLIMIT = struct.Struct("<QQ")
# CPU, DATA, STACK, MEMLOCK, AS, SIGPENDING, RTTIME: enforced by the host on the task.
HOST_ENFORCED = frozenset((0, 2, 3, 8, 9, 11, 15))


def _target(t: Task, pid: int) -> ThreadGroup:
    if pid == 0 or pid == t.tg.vpid:
        return t.tg
    tg = t.kernel.thread_groups.get(pid)
    if tg is None:
        raise ESRCH()
    return tg


def _check(t: Task, tg: ThreadGroup, resource: int, soft: int, hard: int) -> None:
    if soft > hard:
        raise EINVAL()
    if hard > tg.rlimits[resource][1] and not capable(t.creds, CAP_SYS_RESOURCE):
        raise EPERM()
    if resource == RLIMIT_NOFILE and hard > NR_OPEN and hard != RLIM_INFINITY:
        raise EPERM()


def _current(tg: ThreadGroup, resource: int) -> tuple[int, int]:
    """The guest's view of a limit. RLIMIT_CPU's soft limit, set on the host, moves up a
    second at each SIGXCPU the host sends (as in Linux): the view follows."""
    soft, hard = tg.rlimits[resource]
    if resource == RLIMIT_CPU and soft != RLIM_INFINITY and tg.tasks:
        host = cputime.cpu_soft_limit(tg.host_pid)
        if host is not None and soft < host <= hard:
            tg.rlimits[resource] = soft, hard = host, hard
    return soft, hard


def _apply(tg: ThreadGroup, resource: int, soft: int, hard: int) -> None:
    tg.rlimits[resource] = (soft, hard)
    if resource == RLIMIT_NOFILE:
        for task in tg.tasks:
            task.fds.limit = soft


def _set(t: Task, tg: ThreadGroup, resource: int, soft: int, hard: int) -> int:
    """Checks and sets a limit; HOST if the host must set it on the caller too."""
    _check(t, tg, resource, soft, hard)
    if resource in HOST_ENFORCED and tg is t.tg and hard <= tg.rlimits[resource][1]:
        t.commit = lambda: _apply(tg, resource, soft, hard)  # once the host has it
        return HOST
    _apply(tg, resource, soft, hard)
    return 0


def sys_prlimit64(t: Task, a: Args) -> int:
    """Implements prlimit64(2)."""
    pid, resource, new, old = a.int(0), a.int(1), a.ptr(2), a.ptr(3)
    if not 0 <= resource < len(RLIMIT_NAMES):
        raise EINVAL()
    tg = _target(t, pid)
    current = _current(tg, resource)
    r = _set(t, tg, resource, *_RLIMIT.unpack(t.mem.read(new, 16))) if new else 0
    if old and r != HOST:  # a HOST answer: the host writes the old limits itself
        t.mem.write(old, _RLIMIT.pack(*current))
    return r


def sys_getrlimit(t: Task, a: Args) -> int:
    """Implements getrlimit(2)."""
    resource = a.int(0)
    if not 0 <= resource < len(RLIMIT_NAMES):
        raise EINVAL()
    t.mem.write(a.ptr(1), _RLIMIT.pack(*_current(t.tg, resource)))
    return 0


def sys_setrlimit(t: Task, a: Args) -> int:
    """Implements setrlimit(2)."""
    resource = a.int(0)
    if not 0 <= resource < len(RLIMIT_NAMES):
        raise EINVAL()
    soft, hard = _RLIMIT.unpack(t.mem.read(a.ptr(1), 16))
    return _set(t, t.tg, resource, soft, hard)

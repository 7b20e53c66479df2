"""Process and thread identity: getpid, gettid, getppid, process groups and sessions."""

from __future__ import annotations

from sentry.abi.errno import ESRCH
from sentry.kernel.args import Args
from sentry.kernel.task import Task


def sys_getpid(t: Task, a: Args) -> int:
    """Implements getpid(2)."""
    return t.tg.vpid


def sys_gettid(t: Task, a: Args) -> int:
    """Implements gettid(2)."""
    return t.vtid


def sys_getppid(t: Task, a: Args) -> int:
    """Implements getppid(2): 0 for the sandbox's init, as for any PID namespace's init."""
    return t.tg.ppid


def sys_getpgrp(t: Task, a: Args) -> int:
    """Implements getpgrp(2)."""
    return t.tg.pgid


def _group(t: Task, pid: int):
    if pid == 0:
        return t.tg
    tg = t.kernel.thread_groups.get(pid)
    if tg is None:
        raise ESRCH()
    return tg


def sys_getpgid(t: Task, a: Args) -> int:
    """Implements getpgid(2)."""
    return _group(t, a.int(0)).pgid


def sys_getsid(t: Task, a: Args) -> int:
    """Implements getsid(2)."""
    return _group(t, a.int(0)).sid

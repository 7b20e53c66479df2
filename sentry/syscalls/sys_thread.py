"""Process and thread identity: getpid, gettid, getppid, process groups and sessions;
another thread's robust futex list."""

from __future__ import annotations

import struct

from sentry.abi.errno import EACCES, EINVAL, EPERM, ESRCH
from sentry.kernel.args import Args
from sentry.kernel.creds import may_inspect
from sentry.kernel.process import task_by_vtid, task_or_caller
from sentry.kernel.task import Task
from sentry.platform.native import ffi, lib


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


def sys_setpgid(t: Task, a: Args) -> int:
    """Implements setpgid(2), in Linux's order of checks."""
    pid, pgid = a.int(0), a.int(1)
    if pgid < 0:
        raise EINVAL()
    if pid in (0, t.tg.vpid):
        target = t.tg
    else:
        task = task_by_vtid(t.kernel, pid)
        if task is None:
            raise ESRCH()
        target = task.tg
        if task is not target.leader:
            raise EINVAL()  # a thread that does not lead its group
        if target.parent is not t.tg:
            raise ESRCH()
        if target.sid != t.tg.sid:
            raise EPERM()
        if target.execed:
            raise EACCES()  # a child that has run execve
    if target.sid == target.vpid:
        raise EPERM()  # a session leader cannot move
    pgid = pgid or target.vpid
    if pgid != target.vpid and not any(
            g.pgid == pgid and g.sid == t.tg.sid and g.tasks
            for g in t.kernel.thread_groups.values()):
        raise EPERM()
    target.pgid = pgid
    return 0


def sys_setsid(t: Task, a: Args) -> int:
    """Implements setsid(2): a new session and process group, without a controlling tty."""
    tg = t.tg
    if any(g.pgid == tg.vpid and g.tasks for g in t.kernel.thread_groups.values()):
        raise EPERM()  # already a process group leader
    tg.sid = tg.pgid = tg.vpid
    tg.controlling_tty = None
    return tg.vpid


def sys_get_robust_list(t: Task, a: Args) -> int:
    """Implements get_robust_list(2) of another thread (the caller's own is a host call:
    the allow-list). The list lives in the host: the Sentry asks for its thread's."""
    target = task_or_caller(t, a.int(0))
    if not may_inspect(t.creds, target, target.tg is t.tg):
        raise EPERM()
    got = ffi.new("unsigned long long[2]")
    rc = lib.st_robust_list(target.host_tid, got, got + 1)
    if rc < 0:
        raise ESRCH()  # gone meanwhile
    t.mem.write(a.ptr(2), struct.pack("<Q", got[1]))  # the length first, as Linux
    t.mem.write(a.ptr(1), struct.pack("<Q", got[0]))
    return 0

"""pidfd_open and pidfd_send_signal: files that name a process (sentry/vfs/fsimpl/pidfd.py).

waitid(P_PIDFD) is in sys_process.py. A pidfd is a Sentry file, never a host one.
"""

from __future__ import annotations

import struct

from sentry.abi.errno import EBADF, EINVAL, ENOENT, EPERM, ESRCH
from sentry.kernel.args import Args
from sentry.kernel.creds import may_inspect
from sentry.kernel.process import task_by_vtid
from sentry.kernel.task import Task
from sentry.syscalls import sys_signal
from sentry.vfs.constants import O_EXCL, O_NONBLOCK
from sentry.vfs.fsimpl.pidfd import PidFd

PIDFD_NONBLOCK = O_NONBLOCK
PIDFD_THREAD = O_EXCL  # Linux 6.9: the pidfd names one thread
PIDFD_SIGNAL_THREAD, PIDFD_SIGNAL_THREAD_GROUP, PIDFD_SIGNAL_PROCESS_GROUP = 1, 2, 4
SI_TKILL = -6


def sys_pidfd_open(t: Task, a: Args) -> int:
    """Implements pidfd_open(2), PIDFD_THREAD included (Linux 6.9)."""
    pid, flags = a.int(0), a.uint(1)
    if flags & ~(PIDFD_NONBLOCK | PIDFD_THREAD) or pid <= 0:
        raise EINVAL()
    tg = t.kernel.thread_groups.get(pid)
    thread = task_by_vtid(t.kernel, pid)
    if tg is None or (not tg.tasks and tg.exit_status is None):
        if thread is None:
            raise ESRCH()
        if not flags & PIDFD_THREAD:
            raise ENOENT()  # a thread that is not a leader (Linux 6.9+; EINVAL before)
        tg = thread.tg
    f = PidFd(tg, bool(flags & PIDFD_NONBLOCK), thread=bool(flags & PIDFD_THREAD),
              task=thread)
    return t.fds.install(f, True)  # Linux: O_CLOEXEC always


def _check_scope(flags: int) -> None:
    """At most one PIDFD_SIGNAL_* scope (EINVAL for more, or for other bits)."""
    if flags & ~(PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP) \
            or flags & (flags - 1):
        raise EINVAL()


def sys_pidfd_send_signal(t: Task, a: Args) -> int:
    """Implements pidfd_send_signal(2) with Linux 6.9's scopes: the pidfd's thread (a
    PIDFD_THREAD pidfd's default, or a process's leader thread), its process, or the
    process group it leads."""
    fd, sig, uinfo, flags = a.int(0), a.int(1), a.ptr(2), a.uint(3)
    _check_scope(flags)
    f = t.fds.get(fd)
    if not isinstance(f, PidFd):
        raise EBADF()
    scope = flags or (PIDFD_SIGNAL_THREAD if f.thread else PIDFD_SIGNAL_THREAD_GROUP)
    sys_signal._check_sig(sig)
    tg = f.tg
    target_id = f.task.vtid if f.thread and f.task is not None else tg.vpid
    info = None
    if uinfo:
        info = t.mem.read(uinfo, sys_signal.SIGINFO_SIZE)
        signo, _errno, code = struct.unpack_from("<iii", info)
        if signo != sig:
            raise EINVAL()
        # A siginfo claiming kill's or the kernel's code: only to the caller itself.
        if (code >= 0 or code == SI_TKILL) and (
                t.vtid != target_id or scope == PIDFD_SIGNAL_PROCESS_GROUP):
            raise EPERM()
    if scope == PIDFD_SIGNAL_PROCESS_GROUP:
        return _send_pgrp(t, target_id, sig, info)
    task = None
    if scope == PIDFD_SIGNAL_THREAD:
        task = f.task if f.thread else task_by_vtid(t.kernel, tg.vpid)
        if task is None or task not in tg.tasks:
            raise ESRCH()
    elif not tg.tasks:
        raise ESRCH()
    if tg is not t.tg and not sys_signal._may_signal(t, tg):
        raise EPERM()
    # To itself too the Sentry sends it (the pidfd is no host fd): the signal is pending
    # before the answer, so it is delivered before the call returns, as Linux does.
    sys_signal._deliver(t, tg, sig, task, info=info)
    return 0


def _send_pgrp(t: Task, pgid: int, sig: int, info: bytes | None) -> int:
    """PIDFD_SIGNAL_PROCESS_GROUP: every process of the group the pidfd's process leads."""
    groups = [g for g in t.kernel.thread_groups.values() if g.pgid == pgid and g.tasks]
    if not groups:
        raise ESRCH()
    sent = 0
    for g in groups:
        if g is t.tg or sys_signal._may_signal(t, g):
            sys_signal._deliver(t, g, sig, info=info)
            sent += 1
    if not sent:
        raise EPERM()
    return 0


def sys_pidfd_getfd(t: Task, a: Args) -> int:
    """Implements pidfd_getfd(2): a duplicate of another process's fd (the same file
    description, close-on-exec), with ptrace attach rights over it."""
    pidfd, fd, flags = a.int(0), a.int(1), a.uint(2)
    if flags:
        raise EINVAL()
    f = t.fds.get(pidfd)
    if not isinstance(f, PidFd):
        raise EBADF()
    tg = f.tg
    task = f.task if f.thread else next((x for x in tg.tasks if x.vtid == tg.vpid), None)
    if task is None or task not in tg.tasks:
        raise ESRCH()  # exited (a zombie, or reaped)
    if not may_inspect(t.creds, task, tg is t.tg):
        raise EPERM()
    return t.fds.install(task.fds.get(fd), cloexec=True)

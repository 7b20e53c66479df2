"""pidfd_open and pidfd_send_signal: files that name a process (sentry/vfs/fsimpl/pidfd.py).

waitid(P_PIDFD) is in sys_process.py. A pidfd is a Sentry file, never a host one.
"""

from __future__ import annotations

from sentry.abi.errno import EBADF, EINVAL, EPERM, ESRCH
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.syscalls import sys_signal
from sentry.vfs.constants import O_NONBLOCK
from sentry.vfs.fsimpl.pidfd import PidFd

PIDFD_NONBLOCK = O_NONBLOCK


def sys_pidfd_open(t: Task, a: Args) -> int:
    """Implements pidfd_open(2). Differences: no PIDFD_THREAD (EINVAL)."""
    pid, flags = a.int(0), a.uint(1)
    if flags & ~PIDFD_NONBLOCK or pid <= 0:
        raise EINVAL()
    tg = t.kernel.thread_groups.get(pid)
    if tg is None or (not tg.tasks and tg.exit_status is None):
        if any(x.vtid == pid for x in t.kernel.tasks.values()):
            raise EINVAL()  # a thread that is not a leader
        raise ESRCH()
    # Linux: O_CLOEXEC always.
    return t.fds.install(PidFd(tg, bool(flags & PIDFD_NONBLOCK)), True)


def sys_pidfd_send_signal(t: Task, a: Args) -> int:
    """Implements pidfd_send_signal(2). Differences: flags must be 0 (the PIDFD_SIGNAL_*
    scopes of Linux 6.9 are EINVAL)."""
    fd, sig, uinfo, flags = a.int(0), a.int(1), a.ptr(2), a.uint(3)
    if flags:
        raise EINVAL()
    f = t.fds.get(fd)
    if not isinstance(f, PidFd):
        raise EBADF()
    sys_signal._check_sig(sig)
    tg = f.tg
    if not tg.tasks:
        raise ESRCH()
    info = None
    if uinfo:
        if t.mem.read_i32(uinfo) != sig:
            raise EINVAL()
        info = sys_signal._user_siginfo(t, uinfo, tg.vpid)
    if tg is not t.tg and not sys_signal._may_signal(t, tg):
        raise EPERM()
    # To itself too the Sentry sends it (the pidfd is no host fd): the signal is pending
    # before the answer, so it is delivered before the call returns, as Linux does.
    sys_signal._deliver(t, tg, sig, info=info)
    return 0

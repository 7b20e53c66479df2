"""pidfd: a file that names a process (Linux's kernel/pid.c pidfd_fops).

It holds the thread group, not a number, so it never names a reused pid. poll says
POLLIN once every thread of the process has exited (zombie or reaped), POLLHUP once it is
reaped too; read and write are EINVAL. A PIDFD_THREAD pidfd (Linux 6.9) names one thread:
POLLIN once that thread has exited, with POLLHUP once it is gone (a thread other than the
leader goes at once, a leader once its process is reaped).
"""

from __future__ import annotations

from typing import Any

from sentry.abi.errno import EINVAL
from sentry.kernel.waiter import POLLHUP, POLLIN, POLLRDNORM, WaitQueue
from sentry.vfs.constants import O_EXCL, O_NONBLOCK, O_RDWR
from sentry.vfs.fsimpl.eventfd import AnonFile


class PidFd(AnonFile):
    """A pidfd description (O_RDWR, as Linux opens it; O_NONBLOCK as asked; O_EXCL for
    PIDFD_THREAD)."""

    kind = b"pidfd"

    def __init__(self, tg: Any, nonblock: bool, thread: bool = False,
                 task: Any = None) -> None:
        # PIDFD_THREAD is O_EXCL, and Linux keeps it in the status flags (F_GETFL shows it)
        super().__init__(O_RDWR | (O_NONBLOCK if nonblock else 0) | (O_EXCL if thread else 0))
        self.tg = tg
        self.thread = thread  # PIDFD_THREAD
        self.task = task  # the thread it names (None: a zombie's leader, gone already)

    def read(self, n: int) -> bytes:
        raise EINVAL()

    def write(self, data: bytes) -> int:
        raise EINVAL()

    def poll_events(self) -> int:
        if self.thread:
            task = self.task
            if task is not None and task in self.tg.tasks:
                return 0
            leader = task is None or task.vtid == self.tg.vpid
            gone = not leader or self.tg.parent is None
            return POLLIN | POLLRDNORM | (POLLHUP if gone else 0)
        if self.tg.tasks:
            return 0
        return POLLIN | POLLRDNORM | (POLLHUP if self.tg.parent is None else 0)

    def show_fdinfo(self) -> bytes:
        """/proc/<pid>/fdinfo's lines (kernel/pid.c pidfd_show_fdinfo): the pid (a thread's
        tid for PIDFD_THREAD) in the sandbox's one PID namespace, -1 once the process is
        reaped (a thread pidfd: once its thread is gone)."""
        if self.thread:
            task = self.task
            alive = task is not None and (task in self.tg.tasks or (
                task.vtid == self.tg.vpid and self.tg.parent is not None))
            nr = task.vtid if alive else -1
        else:
            nr = self.tg.vpid if self.tg.tasks or self.tg.parent is not None else -1
        return b"Pid:\t%d\nNSpid:\t%d\n" % (nr, nr)

    def wait_source(self) -> WaitQueue:
        return self.tg.exit_waitq  # notified at each thread's exit


__all__ = ["PidFd"]

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
from sentry.vfs.constants import O_NONBLOCK, O_RDWR
from sentry.vfs.fsimpl.eventfd import AnonFile


class PidFd(AnonFile):
    """A pidfd description (O_RDWR, as Linux opens it; O_NONBLOCK as asked)."""

    kind = b"pidfd"

    def __init__(self, tg: Any, nonblock: bool, thread: bool = False,
                 task: Any = None) -> None:
        super().__init__(O_RDWR | (O_NONBLOCK if nonblock else 0))
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

    def wait_source(self) -> WaitQueue:
        return self.tg.exit_waitq  # notified at each thread's exit


__all__ = ["PidFd"]

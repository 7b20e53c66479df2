"""eventfd: a 64-bit counter file (Linux's fs/eventfd.c).

read takes the whole counter (or 1 in semaphore mode) and blocks at 0; write adds to it
and blocks while the sum would reach 2**64 - 1. Transfers are 8 bytes: a shorter read
buffer is EINVAL, and a write must be exactly 8 bytes (Linux 6.x); the value
0xffffffffffffffff is EINVAL.
"""

from __future__ import annotations

import itertools
import struct
import time
from typing import Any

from sentry.abi.errno import EAGAIN, EINVAL
from sentry.abi.stat import Stat
from sentry.kernel.waiter import (
    POLLERR, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, WaitQueue,
)
from sentry.vfs.constants import O_NONBLOCK, O_RDWR
from sentry.vfs.dentry import internal_mount_id
from sentry.vfs.file import FileDescription
from sentry.vfs.inode import FileSystem

ULLONG_MAX = (1 << 64) - 1
EFD_SEMAPHORE = 1


class AnonInodeFS(FileSystem):
    """anon_inodefs: Linux gives every anonymous file (eventfd, epoll …) one shared inode."""

    name = "anon_inodefs"
    magic = 0x09041934

    def __init__(self) -> None:
        super().__init__()
        self.ino = 1
        self.ctime_ns = time.time_ns()


ANON_FS = AnonInodeFS()
_ids = itertools.count(1)


class AnonFile(FileDescription):
    """A file on anon_inodefs (eventfd, epoll, timerfd …): one shared inode, named
    anon_inode:[<kind>] in /proc/<pid>/fd."""

    kind = b""

    def stat(self) -> Stat:
        t = ANON_FS.ctime_ns
        return Stat(dev=ANON_FS.dev, ino=ANON_FS.ino, mode=0o600, atime_ns=t, mtime_ns=t,
                    ctime_ns=t, mnt_id=internal_mount_id(ANON_FS))

    def statfs(self) -> Any:
        return ANON_FS.statfs()

    def guest_path(self) -> bytes:
        return b"anon_inode:[" + self.kind + b"]"


class EventFd(AnonFile):
    """An eventfd description (O_RDWR; O_NONBLOCK as asked)."""

    kind = b"eventfd"

    def __init__(self, initval: int, semaphore: bool, nonblock: bool) -> None:
        super().__init__(O_RDWR | (O_NONBLOCK if nonblock else 0))
        self.count = initval
        self.semaphore = semaphore
        self.queue = WaitQueue()
        self.id = next(_ids)  # /proc/<pid>/fdinfo's eventfd-id

    def read(self, n: int) -> bytes:
        if n < 8:
            raise EINVAL()
        if self.count == 0:
            raise EAGAIN()
        v = 1 if self.semaphore else self.count
        self.count -= v
        self.queue.notify(POLLOUT | POLLWRNORM)
        return struct.pack("<Q", v)

    def write(self, data: bytes) -> int:
        if len(data) != 8:
            raise EINVAL()
        (v,) = struct.unpack("<Q", data)
        if v == ULLONG_MAX:
            raise EINVAL()
        if ULLONG_MAX - self.count <= v:
            raise EAGAIN()
        self.count += v
        self.queue.notify(POLLIN | POLLRDNORM)  # even for 0: an edge for EPOLLET, as Linux
        return 8

    def signal(self) -> None:
        """eventfd_signal: one more, the count capped below ULLONG_MAX (AIO's RESFD)."""
        self.count = min(self.count + 1, ULLONG_MAX)
        self.queue.notify(POLLIN | POLLRDNORM)

    def poll_events(self) -> int:
        ev = 0
        if self.count > 0:
            ev |= POLLIN | POLLRDNORM
        if self.count == ULLONG_MAX:
            ev |= POLLERR
        if ULLONG_MAX - 1 > self.count:
            ev |= POLLOUT | POLLWRNORM
        return ev

    def wait_source(self) -> WaitQueue:
        return self.queue

    def show_fdinfo(self) -> bytes:
        """The lines /proc/<pid>/fdinfo adds (fs/eventfd.c, its widths included)."""
        return b"eventfd-count: %16x\neventfd-id: %d\neventfd-semaphore: %d\n" % (
            self.count, self.id, self.semaphore)


__all__ = ["EFD_SEMAPHORE", "EventFd"]

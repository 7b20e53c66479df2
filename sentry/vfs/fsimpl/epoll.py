"""epoll: an interest list over other open files, scanned for readiness on demand.

An EpollFile keeps (fd, description) → (events, data) entries. epoll_wait scans them with
each file's poll_events() and, when none is ready, parks on all their wait sources at once
(sentry/kernel/wait.py), as poll does. A registration ends when its description is
released (Linux drops it at the last close of the file, not of the fd).

Differences: EPOLLET is level-triggered (a reader that drains to EAGAIN, as edge-triggered
users must, sees the same data; it may be woken more often); an epoll file inside another
epoll set is not supported (EINVAL); EPOLLWAKEUP is accepted and ignored.
"""

from __future__ import annotations

from typing import Any

from sentry.abi.errno import EEXIST, EINVAL, ENOENT, EPERM
from sentry.abi.stat import kernel_dev
from sentry.kernel.waiter import POLLERR, POLLHUP, POLLIN
from sentry.vfs.constants import O_RDWR
from sentry.vfs.file import DirectoryFile, FileDescription, SeekableFile
from sentry.vfs.fsimpl.eventfd import AnonFile

EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3
EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET = 1 << 28, 1 << 29, 1 << 30, 1 << 31
_PRIVATE = EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET


class _Entry:
    __slots__ = ("file", "events", "data", "disabled")

    def __init__(self, file: FileDescription, events: int, data: int) -> None:
        self.file = file
        self.events = events
        self.data = data
        self.disabled = False  # EPOLLONESHOT after it fired, until EPOLL_CTL_MOD


class EpollFile(AnonFile):
    """An epoll instance (anon_inode:[eventpoll])."""

    kind = b"eventpoll"

    def __init__(self) -> None:
        super().__init__(O_RDWR)
        self.entries: dict[tuple[int, int], _Entry] = {}

    def ctl(self, op: int, fd: int, target: FileDescription, events: int, data: int) -> None:
        """EPOLL_CTL_ADD/MOD/DEL with Linux's errors (EEXIST, ENOENT, EPERM, EINVAL)."""
        if target is self or isinstance(target, EpollFile):
            raise EINVAL()  # self, or a nested epoll (not supported)
        if isinstance(target, (SeekableFile, DirectoryFile)):
            raise EPERM()  # regular files and directories are always ready: Linux refuses
        key = (fd, id(target))
        entry = self.entries.get(key)
        if op == EPOLL_CTL_ADD:
            if entry is not None:
                raise EEXIST()
            self.entries[key] = _Entry(target, events | POLLERR | POLLHUP, data)
        elif op == EPOLL_CTL_MOD:
            if entry is None:
                raise ENOENT()
            if events & EPOLLEXCLUSIVE or entry.events & EPOLLEXCLUSIVE:
                raise EINVAL()
            entry.events, entry.data, entry.disabled = events | POLLERR | POLLHUP, data, False
        elif op == EPOLL_CTL_DEL:
            if entry is None:
                raise ENOENT()
            del self.entries[key]
        else:
            raise EINVAL()

    def scan(self, maxevents: int) -> tuple[list[tuple[int, int]], list[tuple[Any, int]]]:
        """Ready (events, data) pairs, at most maxevents, and the wait sources of the rest."""
        ready: list[tuple[int, int]] = []
        waits: list[tuple[Any, int]] = []
        for key, e in list(self.entries.items()):
            if e.file.refs <= 0:  # its description was released: the registration goes
                del self.entries[key]
                continue
            if e.disabled:
                continue
            rev = e.file.poll_events() & (e.events & ~_PRIVATE)
            if rev and len(ready) < maxevents:
                ready.append((rev, e.data))
                if e.events & EPOLLONESHOT:
                    e.disabled = True
            elif not rev:
                src = e.file.wait_source()
                if src is not None:
                    waits.append((src, e.events & ~_PRIVATE))
        return ready, waits

    def show_fdinfo(self) -> bytes:
        """/proc/<pid>/fdinfo's lines (fs/eventpoll.c ep_show_fdinfo), one per registration
        (in fd order here; Linux's follows its tree, keyed by file address): the events as
        registered (EPOLLERR|EPOLLHUP added; after an EPOLLONESHOT fired, only the private
        flags are left), the data, and the target's offset, inode and device."""
        out = []
        for (fd, _), e in sorted(self.entries.items(), key=lambda kv: kv[0][0]):
            if e.file.refs <= 0:
                continue
            st = e.file.stat()
            events = e.events & _PRIVATE if e.disabled else e.events
            out.append(b"tfd: %8d events: %8x data: %16x  pos:%d ino:%x sdev:%x\n" % (
                fd, events, e.data & (1 << 64) - 1, e.file.offset, st.ino,
                kernel_dev(st.dev)))
        return b"".join(out)

    def poll_events(self) -> int:
        ready, _ = self.scan(1)
        return POLLIN if ready else 0



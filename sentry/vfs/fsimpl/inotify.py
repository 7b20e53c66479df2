"""inotify instances: a queue of events from the watches they own (sentry/vfs/fsnotify.py).

Linux's rules (fs/notify/inotify): an event equal to the last one queued (wd, mask,
cookie, name) is merged into it; the queue holds max_queued_events (16384) and then one
IN_Q_OVERFLOW; a read returns whole events only (EINVAL if the first does not fit); names
are NUL-padded to a multiple of 16 bytes; removing a watch (rm_watch, IN_ONESHOT, the
inode deleted, the instance closed) queues IN_IGNORED for it.

Differences: only changes made through this sandbox's VFS are seen (a host change to a
bind-mounted directory is not); IN_DELETE_SELF comes at the last unlink even while the
file is still open (Linux waits for the last close); IN_EXCL_UNLINK is ignored;
splice, sendfile and copy_file_range do not report IN_ACCESS/IN_MODIFY.
"""

from __future__ import annotations

import struct
from collections import deque
from typing import Any

from sentry.abi.errno import EAGAIN, EEXIST, EINVAL, ENOTTY
from sentry.abi.stat import kernel_dev
from sentry.kernel import fasync
from sentry.kernel.waiter import POLLIN, POLLRDNORM, WaitQueue
from sentry.vfs.constants import O_NONBLOCK, O_RDONLY
from sentry.vfs.fsimpl.eventfd import AnonFile
from sentry.vfs.fsnotify import IN_IGNORED, IN_ONESHOT, IN_Q_OVERFLOW, Watch, Watches

IN_ONLYDIR, IN_DONT_FOLLOW, IN_EXCL_UNLINK = 0x01000000, 0x02000000, 0x04000000
IN_MASK_CREATE, IN_MASK_ADD = 0x10000000, 0x20000000
IN_ALL_EVENTS = 0xFFF
# What add_watch accepts (Linux's ALL_INOTIFY_BITS).
VALID = IN_ALL_EVENTS | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_CREATE \
    | IN_MASK_ADD | 0x40000000 | IN_ONESHOT
MAX_QUEUED_EVENTS = 16384
MAX_USER_WATCHES = 65536
FIONREAD = 0x541B
_HEADER = struct.Struct("<iIII")


class InotifyFile(AnonFile):
    """One inotify instance (anon_inode:inotify)."""

    kind = b"inotify"

    def __init__(self, flags: int) -> None:
        super().__init__(O_RDONLY | flags & O_NONBLOCK)
        self.events: deque[tuple[int, int, int, bytes]] = deque()
        self.watches: dict[int, Watch] = {}
        self.registries: dict[int, Watches] = {}  # wd → the VFS registry it is in
        self.next_wd = 1
        self.queue = WaitQueue()
        self.overflowed = False

    # --- fsnotify.Listener ----------------------------------------------------------------
    def deliver(self, watch: Watch, mask: int, cookie: int, name: bytes) -> None:
        self._queue((watch.wd, mask & ~IN_ONESHOT, cookie, name))

    def forget(self, watch: Watch) -> None:
        if self.watches.pop(watch.wd, None) is not None:
            self.registries.pop(watch.wd, None)
            self._queue((watch.wd, IN_IGNORED, 0, b""))

    def _queue(self, ev: tuple[int, int, int, bytes]) -> None:
        if self.events and self.events[-1] == ev:
            return  # merged with the last one, as Linux does
        if len(self.events) >= MAX_QUEUED_EVENTS:
            if not self.overflowed:
                self.overflowed = True
                self.events.append((-1, IN_Q_OVERFLOW, 0, b""))
            return
        self.events.append(ev)
        self.queue.notify(POLLIN | POLLRDNORM)

    # --- watches ------------------------------------------------------------------------
    def add_watch(self, registry: Watches, key: tuple[int, int], mask: int) -> int:
        """inotify_add_watch on a resolved inode: the wd (new, or the existing one updated)."""
        events = mask & (IN_ALL_EVENTS | 0x40000000 | IN_ONESHOT | IN_EXCL_UNLINK)
        for wd, w in self.watches.items():
            if w.key == key and self.registries[wd] is registry:
                if mask & IN_MASK_CREATE:
                    raise EEXIST()
                w.mask = w.mask | events if mask & IN_MASK_ADD else events
                return wd
        if len(self.watches) >= MAX_USER_WATCHES:
            from sentry.abi.errno import ENOSPC

            raise ENOSPC()
        wd = self.next_wd
        self.next_wd += 1
        w = Watch(wd, events, key, self)
        self.watches[wd] = w
        self.registries[wd] = registry
        registry.add(w)
        return wd

    def rm_watch(self, wd: int) -> None:
        w = self.watches.get(wd)
        if w is None:
            raise EINVAL()
        self.registries[wd].remove(w)
        self.forget(w)

    def release(self) -> None:
        for wd, w in list(self.watches.items()):
            self.registries[wd].remove(w)
        self.watches.clear()
        self.registries.clear()

    def show_fdinfo(self) -> bytes:
        """/proc/<pid>/fdinfo's lines (fs/notify/fdinfo.c), one per watch, newest first:
        wd, the watched inode and device, the mask as inotify_add_watch took it. Our
        filesystems give no file handles, so the fhandle fields are left out, as Linux
        does for a filesystem without them (the line keeps its trailing space)."""
        out = []
        for wd in sorted(self.watches, reverse=True):
            w = self.watches[wd]
            dev, ino = w.key
            mask = w.mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK)
            out.append(b"inotify wd:%x ino:%x sdev:%x mask:%x ignored_mask:0 \n" % (
                wd, ino, kernel_dev(dev), mask))
        return b"".join(out)

    # --- reading ------------------------------------------------------------------------
    @staticmethod
    def _size(ev: tuple[int, int, int, bytes]) -> int:
        name = ev[3]
        return _HEADER.size + ((len(name) + 16) & ~15 if name else 0)

    def read(self, n: int) -> bytes:
        self._check_read()
        if not self.events:
            raise EAGAIN()
        out = bytearray()
        while self.events:
            ev = self.events[0]
            size = self._size(ev)
            if len(out) + size > n:
                if not out:
                    raise EINVAL()
                break
            wd, mask, cookie, name = ev
            plen = size - _HEADER.size
            out += _HEADER.pack(wd, mask, cookie, plen) + name + bytes(plen - len(name))
            self.events.popleft()
            if ev[1] == IN_Q_OVERFLOW:
                self.overflowed = False
        return bytes(out)

    def write(self, data: bytes) -> int:
        raise EINVAL()

    def readable_now(self) -> int:
        return sum(self._size(ev) for ev in self.events)

    def poll_events(self) -> int:
        return POLLIN | POLLRDNORM if self.events else 0

    def wait_source(self) -> WaitQueue:
        return self.queue

    def fasync(self, own: Any, fd: int) -> None:
        """O_ASYNC: the queue's notifies are the news (sentry/kernel/fasync.py)."""
        fasync.hook(own, fd, self)

    def ioctl(self, t: Any, cmd: int, arg: int) -> int:
        if cmd == FIONREAD:
            t.mem.write_i32(arg, self.readable_now())
            return 0
        raise ENOTTY()

"""mqueue: POSIX message queues of the sandbox's IPC namespace (Linux's ipc/mqueue.c).

One MqueueFS per sandbox holds the queues by name; mq_open and mq_unlink name them
(sentry/syscalls/sys_mqueue.py), and `mount -t mqueue` (or a container's mqueue mount)
shows them as files: reading one gives Linux's "QSIZE:… NOTIFY:… SIGNO:… NOTIFY_PID:…"
line, unlink removes it. A queue keeps its messages by priority, then arrival; senders and
receivers that must wait park on its WaitQueue. Limits are the namespace's sysctls
fs.mqueue.queues_max, msg_max, msgsize_max, msg_default and msgsize_default.
"""

from __future__ import annotations

import time
from typing import Any

from sentry.abi.errno import EINVAL, ENOENT, EPERM
from sentry.abi.stat import S_IFDIR, S_IFREG, Stat
from sentry.kernel.waiter import POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, WaitQueue
from sentry.vfs.dentry import Dentry, Mount, VirtualDentry
from sentry.vfs.file import FileDescription
from sentry.vfs.inode import DirEntry, FileSystem, Inode

MQUEUE_MAGIC = 0x19800202
DT_DIR, DT_REG = 4, 8
FILENT_SIZE = 80  # a queue file's st_size on Linux


class MqueueFS(FileSystem):
    name = "mqueue"
    magic = MQUEUE_MAGIC

    def __init__(self, sysctl_of: Any = None) -> None:
        super().__init__()
        self.sysctl_of = sysctl_of  # () -> the namespace's Sysctl (limits)
        self.next_ino = 1
        self.root = MqDir(self)
        self.internal = Mount(None, self, Dentry(self.root))  # for queues opened by name

    def ino(self) -> int:
        self.next_ino += 1
        return self.next_ino


class MqDir(Inode):
    """The root directory: one file per queue (sticky and world-writable, as Linux's)."""

    def __init__(self, fs: MqueueFS) -> None:
        self.fs = fs
        self.queues: dict[bytes, MqInode] = {}
        self.ctime_ns = time.time_ns()

    def stat(self) -> Stat:
        t = self.ctime_ns
        return Stat(dev=self.fs.dev, ino=1, mode=S_IFDIR | 0o1777, nlink=2,
                    atime_ns=t, mtime_ns=t, ctime_ns=t)

    def access_stat(self) -> Stat:
        return self.stat()

    @property
    def mode(self) -> int:
        return S_IFDIR | 0o1777

    def lookup(self, t: Any, name: bytes) -> Inode:
        q = self.queues.get(name)
        if q is None:
            raise ENOENT()
        return q

    def iterdir(self, t: Any) -> list[DirEntry]:
        return [DirEntry(b".", 1, DT_DIR), DirEntry(b"..", 1, DT_DIR)] + [
            DirEntry(n, q.ino, DT_REG) for n, q in self.queues.items()]

    def create(self, t: Any, name: bytes, mode: int) -> Inode:
        """open(O_CREAT) in a mounted mqueue: a queue with the default attributes."""
        return self.new_queue(t, name, mode, None)

    def new_queue(self, t: Any, name: bytes, mode: int, attr: tuple[int, int] | None) -> MqInode:
        q = MqInode(self.fs, t, mode & 0o7777, *(attr or self.defaults()))
        self.queues[name] = q
        self.ctime_ns = time.time_ns()
        return q

    def defaults(self) -> tuple[int, int]:
        sc = self.fs.sysctl_of() if self.fs.sysctl_of else None
        if sc is None:
            return 10, 8192
        return sc.int("fs.mqueue.msg_default"), sc.int("fs.mqueue.msgsize_default")

    def unlink(self, t: Any, name: bytes) -> None:
        if self.queues.pop(name, None) is None:
            raise ENOENT()
        self.ctime_ns = time.time_ns()

    def mkdir(self, t: Any, name: bytes, mode: int) -> Inode:
        raise EPERM()

    def symlink(self, t: Any, name: bytes, target: bytes) -> Inode:
        raise EPERM()

    def mknod(self, t: Any, name: bytes, mode: int, rdev: int) -> Inode:
        raise EPERM()

    def link(self, t: Any, name: bytes, target: Inode) -> Inode:
        raise EPERM()

    def rename(self, t: Any, name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        raise EPERM()


NOTIFY_WOKENUP, NOTIFY_REMOVED = 1, 2  # a SIGEV_THREAD cookie's last byte


class MqInode(Inode):
    """One queue: attributes, messages (priority, seq, bytes), its notification."""

    def __init__(self, fs: MqueueFS, t: Any, perm: int, maxmsg: int, msgsize: int) -> None:
        self.fs = fs
        self.ino = fs.ino()
        c = getattr(t, "creds", None)
        self.uid, self.gid = (c.fsuid, c.fsgid) if c else (0, 0)
        self.perm = perm
        self.maxmsg, self.msgsize = maxmsg, msgsize
        self.messages: list[tuple[int, int, bytes]] = []  # (-prio, seq, data): sorted
        self.seq = 0
        self.queue = WaitQueue()
        # mq_notify's registration: (tg, signo, value, kind, (netlink socket, cookie) for
        # SIGEV_THREAD else None)
        self.notify: tuple[Any, int, int, int, Any] | None = None
        self.receivers = 0  # mq_timedreceive callers waiting (a notification skips them)
        self.times = time.time_ns()

    @property
    def mode(self) -> int:
        return S_IFREG | self.perm

    def stat(self) -> Stat:
        t = self.times
        return Stat(dev=self.fs.dev, ino=self.ino, mode=self.mode, nlink=1, uid=self.uid,
                    gid=self.gid, size=FILENT_SIZE, atime_ns=t, mtime_ns=t, ctime_ns=t)

    def access_stat(self) -> Stat:
        return self.stat()

    def remove_notification(self) -> None:
        """The registration ends; a SIGEV_THREAD one tells its netlink socket (the cookie's
        last byte NOTIFY_REMOVED), as Linux's remove_notification."""
        n, self.notify = self.notify, None
        if n is not None and n[4] is not None:
            sock, cookie = n[4]
            sock.kernel_message(cookie[:-1] + bytes([NOTIFY_REMOVED]))

    def qsize(self) -> int:
        return sum(len(d) for _, _, d in self.messages)

    def describe(self) -> bytes:
        """What reading the queue's file gives (Linux's mqueue_read_file)."""
        tg, signo, _, kind, _ = self.notify or (None, 0, 0, 0, None)
        return b"QSIZE:%-10d NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n" % (
            self.qsize(), kind if tg else 0, signo if tg else 0, tg.vpid if tg else 0)

    def open(self, t: Any, vd: VirtualDentry, flags: int) -> FileDescription:
        return MqFile(flags, vd, self)

    def setattr(self, t: Any, attrs: Any) -> None:
        attrs.apply(self, time.time_ns())
        if getattr(attrs, "mode", None) is not None:
            self.perm = attrs.mode & 0o7777


class MqFile(FileDescription):
    """An open queue: its fd is pollable (POLLIN with messages, POLLOUT with room), and a
    read gives the queue's description line at the file offset."""

    def __init__(self, flags: int, vd: VirtualDentry, inode: MqInode) -> None:
        super().__init__(flags, vd)
        self.q = inode

    flushes = True

    def flush(self, tg: Any) -> None:
        """Any close of a queue's fd by the registered process ends its registration
        (mqueue_flush_file)."""
        if self.q.notify is not None and self.q.notify[0] is tg:
            self.q.remove_notification()

    def read(self, n: int) -> bytes:
        data = self.q.describe()[self.offset:self.offset + n]
        self.offset += len(data)
        return data

    def write(self, data: bytes) -> int:
        raise EINVAL()

    def seek(self, off: int, whence: int) -> int:
        """default_llseek: SEEK_END is from the inode's fixed size (Linux's FILENT_SIZE)."""
        base = {0: 0, 1: self.offset, 2: FILENT_SIZE}.get(whence)
        if base is None or base + off < 0:
            raise EINVAL()
        self.offset = base + off
        return self.offset

    def poll_events(self) -> int:
        ev = 0
        if self.q.messages:
            ev |= POLLIN | POLLRDNORM
        if len(self.q.messages) < self.q.maxmsg:
            ev |= POLLOUT | POLLWRNORM
        return ev

    def wait_source(self) -> WaitQueue:
        return self.q.queue


def of_kernel(kernel: Any) -> MqueueFS:
    """The sandbox's queues (its IPC namespace's mqueue instance), made at first use."""
    fs = getattr(kernel, "mqueue", None)
    if fs is None:
        fs = kernel.mqueue = MqueueFS(lambda: kernel.sysctl)
    return fs


def open_queue_vd(fs: MqueueFS, name: bytes, q: MqInode) -> VirtualDentry:
    """Where an mq_open'ed queue lives: a dentry of its name under the fs's own mount."""
    return VirtualDentry(fs.internal, Dentry(q, name, fs.internal.root))


__all__ = ["MqueueFS", "MqDir", "MqInode", "MqFile"]

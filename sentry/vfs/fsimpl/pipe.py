"""Pipes and FIFOs: a bounded buffer of pages shared by the descriptions of its two ends.

Linux's model (fs/pipe.c, fs/fifo), kept because programs can observe it:
- The buffer is a ring of `capacity // PAGE` slots (16: 64 KiB). A write first merges its
  tail (len % PAGE bytes) into the last page if that fits there, then takes whole free
  slots; so a write of at most PIPE_BUF bytes is atomic, and POLLOUT means a free slot.
- O_DIRECT on the writing description makes packets: one page per write chunk (<= PAGE),
  never merged, and a read takes at most one packet, dropping what does not fit.
- Readers and writers are counted per open description (fork and dup share one). read
  gives 0 (EOF) once no writer is left; write gives EPIPE once no reader is left (the write
  syscall sends SIGPIPE). Both ends gone: a FIFO's buffered data is dropped.
- FIFO opens meet: r_counter and w_counter count the opens ever made; a blocking open
  (O_RDONLY without a writer, O_WRONLY without a reader) waits until the other counter
  moves (wait_partner). O_WRONLY|O_NONBLOCK without a reader is ENXIO; O_RDWR never waits.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from typing import Any

from sentry.abi.errno import EAGAIN, EBUSY, EINVAL, ENOTTY, ENXIO, EPERM, EPIPE
from sentry.abi.stat import S_IFIFO, Stat
from sentry.kernel import fasync
from sentry.kernel.waiter import (
    POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, WaitQueue,
)
from sentry.vfs import ops
from sentry.vfs.constants import O_ACCMODE, O_DIRECT, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY
from sentry.vfs.dentry import internal_mount_id
from sentry.vfs.file import FileDescription
from sentry.vfs.inode import FileSystem

PAGE = 4096
PIPE_BUF = 4096
DEFAULT_CAPACITY = 65536
PIPE_MAX_SIZE = 1 << 20  # /proc/sys/fs/pipe-max-size
PIPEFS_MAGIC = 0x50495045
F_SETPIPE_SZ = 1031
F_GETPIPE_SZ = 1032
FIONREAD = 0x541B


class PipeFS(FileSystem):
    """The pipefs every anonymous pipe lives in: its device number and inode numbers."""

    name = "pipefs"
    magic = PIPEFS_MAGIC

    def __init__(self) -> None:
        super().__init__()
        self._ino = itertools.count(1)

    def next_ino(self) -> int:
        return next(self._ino)


PIPEFS = PipeFS()


class _Page:
    """One slot: bytes data[start:] are unread; `packet` pages are never merged into."""

    __slots__ = ("data", "start", "packet")

    def __init__(self, data: bytes, packet: bool) -> None:
        self.data = bytearray(data)
        self.start = 0
        self.packet = packet


class Pipe:
    """The shared buffer and the end counts. Errors: EAGAIN (would block), EPIPE."""

    def __init__(self, uid: int = 0, gid: int = 0) -> None:
        self.pages: deque[_Page] = deque()
        self.size = 0  # unread bytes
        self.slots = DEFAULT_CAPACITY // PAGE
        self.readers = self.writers = 0
        self.r_counter = self.w_counter = 0  # opens ever made (FIFO rendezvous)
        self.queue = WaitQueue()
        self.ino = PIPEFS.next_ino()
        self.uid, self.gid = uid, gid
        self.ctime_ns = time.time_ns()
        self.key: tuple[int, int] | None = None  # a FIFO's (dev, ino) in _FIFOS
        # O_ASYNC descriptions of each side (sentry/kernel/fasync.py), once there is one.
        self.fasync_readers: dict[int, Any] | None = None
        self.fasync_writers: dict[int, Any] | None = None

    # --- data -------------------------------------------------------------------------
    def read(self, n: int) -> bytes:
        """Up to n bytes (one packet at most); b"" at EOF; EAGAIN if empty with writers."""
        if n == 0:
            return b""
        if not self.pages:
            if self.writers == 0:
                return b""
            raise EAGAIN()
        out = bytearray()
        was_full = len(self.pages) >= self.slots
        while self.pages and len(out) < n:
            page = self.pages[0]
            avail = len(page.data) - page.start
            take = min(avail, n - len(out))
            out += page.data[page.start:page.start + take]
            if page.packet:  # one packet ends the read; what did not fit is dropped
                self.size -= avail
                self.pages.popleft()
                break
            page.start += take
            self.size -= take
            if page.start == len(page.data):
                self.pages.popleft()
        if was_full and len(self.pages) < self.slots:
            # Writers only wait for a free slot; Linux wakes them (and edge-triggered
            # epoll entries on POLLOUT) only when a read frees one of a full pipe.
            self.queue.notify(POLLOUT | POLLWRNORM)
        return bytes(out)

    def write(self, data: bytes, packet: bool) -> int:
        """Buffers what fits (all or nothing up to PIPE_BUF); EAGAIN if nothing fits.

        EPIPE without readers: the caller sends SIGPIPE (the write syscall does).
        """
        total = len(data)
        if total == 0:
            return 0
        if self.readers == 0:
            raise EPIPE()
        done = 0
        tail = total & (PAGE - 1)
        if tail and self.pages and not packet:
            last = self.pages[-1]
            if not last.packet and len(last.data) + tail <= PAGE:
                last.data += data[:tail]
                done = tail
        while done < total and len(self.pages) < self.slots:
            chunk = data[done:done + PAGE]
            self.pages.append(_Page(chunk, packet))
            done += len(chunk)
        if done == 0:
            raise EAGAIN()
        self.size += done
        self.queue.notify(POLLIN | POLLRDNORM)  # every write: an edge for EPOLLET readers
        return done

    def peek(self, n: int) -> bytes:
        """Up to n unread bytes without consuming them (tee)."""
        out = bytearray()
        for page in self.pages:
            if len(out) >= n:
                break
            out += page.data[page.start:page.start + n - len(out)]
        return bytes(out)

    def unread(self, data: bytes) -> None:
        """Puts bytes a splice took but could not deliver back at the front."""
        if data:
            self.pages.appendleft(_Page(data, False))
            self.size += len(data)
            self.queue.notify(POLLIN | POLLRDNORM)

    def room(self) -> int:
        """Bytes a write can surely take now (whole free pages)."""
        return (self.slots - len(self.pages)) * PAGE

    def set_capacity(self, size: int) -> int:
        """F_SETPIPE_SZ: rounds up to a power-of-two number of pages; returns the new size.

        Differences: above pipe-max-size it is EPERM whatever the caller's capabilities
        (the host does the same for the sandbox, which has no CAP_SYS_RESOURCE there).
        """
        if size > 1 << 31:
            raise EINVAL()
        pages = 1
        while pages * PAGE < size:
            pages <<= 1
        if pages * PAGE > PIPE_MAX_SIZE:
            raise EPERM()
        if pages < len(self.pages):
            raise EBUSY()
        self.slots = pages
        self.queue.notify(POLLOUT | POLLWRNORM)
        return pages * PAGE

    # --- ends ---------------------------------------------------------------------------
    def open_end(self, acc: int) -> None:
        """Counts a new description of access mode acc and wakes whoever waits for it."""
        if acc != O_WRONLY:
            self.readers += 1
            self.r_counter += 1
        if acc != O_RDONLY:
            self.writers += 1
            self.w_counter += 1
        self.queue.notify(POLLIN | POLLOUT)

    def close_end(self, acc: int) -> None:
        if acc != O_WRONLY:
            self.readers -= 1
        if acc != O_RDONLY:
            self.writers -= 1
        if (self.fasync_readers or self.fasync_writers) and \
                (self.readers == 0) != (self.writers == 0):
            fasync.kill_all(self.fasync_readers, fasync.POLL_IN)  # one side is gone
            fasync.kill_all(self.fasync_writers, fasync.POLL_OUT)
        if self.readers == 0 and self.writers == 0:
            self.pages.clear()  # Linux frees the pipe: a FIFO reopened starts empty
            self.size = 0
            if self.key is not None:
                _FIFOS.pop(self.key, None)
        self.queue.notify(POLLIN | POLLOUT | POLLHUP | POLLERR)


class PipeFile(FileDescription):
    """One end of a pipe (or an open FIFO: then vd names it and stat is the inode's)."""

    def __init__(self, pipe: Pipe, flags: int, vd: Any = None) -> None:
        super().__init__(flags, vd)
        self.pipe = pipe
        self.acc = flags & O_ACCMODE
        pipe.open_end(self.acc)
        # POLLHUP needs w_counter != w_seen: a FIFO reader opened O_NONBLOCK before any
        # writer sets it to the counter then, so it sees no hang-up until a writer came.
        self.w_seen = 0
        # A blocking FIFO open waits for this counter ("r" or "w") to pass this value.
        self.partner_wait: tuple[str, int] | None = None
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self.pipe.close_end(self.acc)

    # --- I/O ----------------------------------------------------------------------------
    def read(self, n: int) -> bytes:
        self._check_read()
        p = self.pipe
        if p.fasync_writers and n:
            try:
                return p.read(n)
            finally:  # Linux's pipe_read tells the writers even when it found nothing
                fasync.kill_all(p.fasync_writers, fasync.POLL_OUT)
        return p.read(n)

    def write(self, data: bytes) -> int:
        self._check_write()
        p = self.pipe
        if p.fasync_readers and data:
            try:
                return p.write(data, bool(self.flags & O_DIRECT))
            finally:  # as pipe_write: even when nothing fitted
                fasync.kill_all(p.fasync_readers, fasync.POLL_IN)
        return p.write(data, bool(self.flags & O_DIRECT))

    def fasync(self, own: Any, fd: int) -> None:
        """O_ASYNC: on the list of each side this description reads or writes."""
        p, lists = self.pipe, []
        if self.readable:
            if p.fasync_readers is None:
                p.fasync_readers = {}
            lists.append(p.fasync_readers)
        if self.writable:
            if p.fasync_writers is None:
                p.fasync_writers = {}
            lists.append(p.fasync_writers)
        fasync.register(own, fd, *lists)

    def poll_events(self) -> int:
        p, ev = self.pipe, 0
        if self.readable:
            if p.pages:
                ev |= POLLIN | POLLRDNORM
            if p.writers == 0 and p.w_counter != self.w_seen:
                ev |= POLLHUP
        if self.writable:
            if len(p.pages) < p.slots:
                ev |= POLLOUT | POLLWRNORM
            if p.readers == 0:
                ev |= POLLERR
        return ev

    def wait_source(self) -> WaitQueue:
        return self.pipe.queue

    def readable_now(self) -> int:
        return self.pipe.size

    def ioctl(self, t: Any, cmd: int, arg: int) -> int:
        if cmd == FIONREAD:
            t.mem.write_i32(arg, self.pipe.size)
            return 0
        raise ENOTTY()

    def fcntl(self, t: Any, cmd: int, arg: int) -> int:
        """F_GETPIPE_SZ and F_SETPIPE_SZ (sys_fcntl's hook); EINVAL for anything else."""
        if cmd == F_GETPIPE_SZ:
            return self.pipe.slots * PAGE
        if cmd == F_SETPIPE_SZ:
            return self.pipe.set_capacity(arg & 0xFFFFFFFF)
        raise EINVAL()

    # --- attributes ---------------------------------------------------------------------
    def stat(self) -> Stat:
        if self.vd is not None:
            return super().stat()
        p = self.pipe
        return Stat(dev=PIPEFS.dev, ino=p.ino, mode=S_IFIFO | 0o600, uid=p.uid, gid=p.gid,
                    atime_ns=p.ctime_ns, mtime_ns=p.ctime_ns, ctime_ns=p.ctime_ns,
                    mnt_id=internal_mount_id(PIPEFS))

    def statfs(self) -> Any:
        return PIPEFS.statfs() if self.vd is None else super().statfs()

    def guest_path(self) -> bytes:
        return b"pipe:[%d]" % self.pipe.ino if self.vd is None else super().guest_path()

    def reopen(self, flags: int) -> PipeFile:
        """Opening /proc/<pid>/fd/N of a pipe: another end (it never waits, as in Linux)."""
        return PipeFile(self.pipe, flags, self.vd)


def new_pipe(t: Any, flags: int) -> tuple[PipeFile, PipeFile]:
    """pipe2's two ends: O_NONBLOCK on both, O_DIRECT (packets) on the write end only."""
    p = Pipe(t.creds.fsuid, t.creds.fsgid)
    r = PipeFile(p, O_RDONLY | flags & O_NONBLOCK)
    w = PipeFile(p, O_WRONLY | flags & (O_NONBLOCK | O_DIRECT))
    return r, w


# --- FIFOs ---------------------------------------------------------------------------
# The pipe of each FIFO inode with an open end, keyed by the inode's (st_dev, st_ino): an
# overlay shows the same pair before and after copy-up, and hard links share it.
_FIFOS: dict[tuple[int, int], Pipe] = {}


def open_fifo(t: Any, vd: Any, flags: int) -> PipeFile:
    """Opens a FIFO (core's hook): the end is counted at once; `partner_wait` set if the
    open must block (the open syscall then awaits wait_partner). ENXIO as Linux."""
    st = vd.dentry.inode.stat()
    key = (st.dev, st.ino)
    pipe = _FIFOS.get(key)
    acc = flags & O_ACCMODE
    nonblock = bool(flags & O_NONBLOCK)
    if acc == O_WRONLY and nonblock and (pipe is None or pipe.readers == 0):
        raise ENXIO()
    if acc not in (O_RDONLY, O_WRONLY, O_RDWR):
        raise EINVAL()
    if pipe is None:
        pipe = Pipe(st.uid, st.gid)
        pipe.key = key
        _FIFOS[key] = pipe
    f = PipeFile(pipe, flags, vd)
    if acc == O_RDONLY and pipe.writers == 0 and nonblock:
        f.w_seen = pipe.w_counter
    elif acc == O_RDONLY and pipe.writers == 0:
        f.partner_wait = ("w", pipe.w_counter)
    elif acc == O_WRONLY and pipe.readers == 0:
        f.partner_wait = ("r", pipe.r_counter)
    return f


async def wait_partner(t: Any, f: PipeFile) -> None:
    """Blocks a FIFO open until the other side opens (Linux's wait_for_partner).

    A signal cancels the wait; the end is then uncounted, as Linux's err_rd/err_wr do.
    """
    pipe = f.pipe
    try:
        while f.partner_wait is not None:
            which, start = f.partner_wait
            if (pipe.w_counter if which == "w" else pipe.r_counter) != start:
                f.partner_wait = None
                break
            await t.wait_on(pipe.queue, POLLIN | POLLOUT)
    except BaseException:
        f.release()
        raise


def register_fifo_opener() -> None:
    """Makes core's open route FIFOs here (core never imports an implementation)."""
    ops.fifo_opener = open_fifo


__all__ = [
    "F_GETPIPE_SZ", "F_SETPIPE_SZ", "PIPE_BUF", "Pipe", "PipeFile", "new_pipe", "open_fifo",
    "register_fifo_opener", "wait_partner",
]

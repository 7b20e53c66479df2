"""Host stream files: the container's stdio (a tty, pipe or file the user gave us).

The Sentry holds a dup of the host fd. It never sets O_NONBLOCK on it (the open file
description is shared with the user's terminal); instead every read/write first asks
poll(0) whether it would block and raises EAGAIN if so; t.io_wait then parks the task on
wait_source() (the host fd) in the loop's epoll set.
tty ioctls are forwarded from an allow-list; process-group ones answer from the guest.
"""

from __future__ import annotations

import fcntl
import os
import select
import stat as pystat
import struct
from typing import Any

from sentry.abi.errno import EAGAIN, EBADF, ENOTTY, ESPIPE
from sentry.abi.stat import Stat, StatFs
from sentry.kernel.jobctl import TtyJobControl
from sentry.kernel.waiter import POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT
from sentry.vfs.file import FileDescription
from sentry.vfs.fsimpl.host.hostfs import host_fstatfs, sys_error

TCGETS, TCSETS, TCSETSW, TCSETSF = 0x5401, 0x5402, 0x5403, 0x5404
TIOCGPGRP, TIOCSPGRP = 0x540F, 0x5410
TIOCGWINSZ, TIOCSWINSZ = 0x5413, 0x5414
FIONREAD = 0x541B
TIOCSCTTY, TIOCNOTTY, TIOCGSID = 0x540E, 0x5422, 0x5429
# ioctl → (bytes read from the guest, bytes written back to the guest).
_FORWARD = {
    TCGETS: (0, 36), TCSETS: (36, 0), TCSETSW: (36, 0), TCSETSF: (36, 0),
    TIOCGWINSZ: (0, 8), TIOCSWINSZ: (8, 0),
}
_WRITE_CHUNK = 65536
TOSTOP = 0o400
_TTY_JOBS: dict[int, TtyJobControl] = {}  # host terminal (st_rdev) → its job control


def _tty_job(rdev: int) -> TtyJobControl:
    job = _TTY_JOBS.get(rdev)
    if job is None:
        job = _TTY_JOBS[rdev] = TtyJobControl()
    return job


class HostStreamFile(FileDescription):
    """A guest file backed by a host fd that may block (tty, pipe, socket, or a file)."""

    def __init__(self, host_fd: int, flags: int, name: bytes = b"") -> None:
        super().__init__(flags)
        self.host_fd = host_fd
        st = os.fstat(host_fd)
        self.is_tty = os.isatty(host_fd)
        self.regular = pystat.S_ISREG(st.st_mode) or pystat.S_ISBLK(st.st_mode)
        self.pollable = _epollable(host_fd)
        self.can_poll = self.pollable  # epoll_ctl's EPERM for a regular file, /dev/null
        self.name = name or _host_name(host_fd)
        # Job control, shared by every file on the same terminal (sentry/kernel/jobctl.py).
        self.tty_job = _tty_job(st.st_rdev) if self.is_tty else None

    def release(self) -> None:
        if self.host_fd >= 0:
            os.close(self.host_fd)
            self.host_fd = -1

    def _ready(self, events: int) -> int:
        p = select.poll()
        p.register(self.host_fd, events)
        r = p.poll(0)
        return r[0][1] if r else 0

    def read(self, n: int) -> bytes:
        self._check_read()
        if not self.regular and not self._ready(POLLIN):
            raise EAGAIN()
        try:
            return os.read(self.host_fd, min(n, 1 << 20))
        except OSError as e:
            raise sys_error(e) from None

    def write(self, data: bytes) -> int:
        self._check_write()
        if self.regular:
            try:
                return os.write(self.host_fd, data)
            except OSError as e:
                raise sys_error(e) from None
        done = 0
        # Write while poll says there is room; a pipe with room takes PIPE_BUF at once.
        while done < len(data):
            ev = self._ready(POLLOUT)
            if not ev & POLLOUT and not ev & (POLLERR | POLLHUP | POLLNVAL):
                break
            try:
                chunk = _WRITE_CHUNK if self.is_tty else 4096
                done += os.write(self.host_fd, data[done:done + chunk])
            except OSError as e:
                if done:
                    break
                raise sys_error(e) from None
        if done == 0 and data:
            raise EAGAIN()
        return done

    def pread(self, n: int, off: int) -> bytes:
        self._check_read()
        if not self.regular:
            raise ESPIPE()
        try:
            return os.pread(self.host_fd, n, off)
        except OSError as e:
            raise sys_error(e) from None

    def pwrite(self, data: bytes, off: int) -> int:
        self._check_write()
        if not self.regular:
            raise ESPIPE()
        try:
            return os.pwrite(self.host_fd, data, off)
        except OSError as e:
            raise sys_error(e) from None

    def seek(self, off: int, whence: int) -> int:
        try:
            return os.lseek(self.host_fd, off, whence)
        except OSError as e:
            raise sys_error(e) from None

    def poll_events(self) -> int:
        return self._ready(POLLIN | POLLOUT)

    def wait_source(self) -> int | None:
        # A file without a poll method (a regular file, /dev/null) is always POLLIN|POLLOUT
        # and nothing else: nothing to wait for, and epoll refuses it (EPERM).
        return self.host_fd if self.pollable else None

    def readable_now(self) -> int:
        buf = fcntl.ioctl(self.host_fd, FIONREAD, b"\0" * 4)
        return struct.unpack("<i", buf)[0]

    def stat(self) -> Stat:
        return Stat.from_host(os.fstat(self.host_fd))

    def statfs(self) -> StatFs:
        return host_fstatfs(self.host_fd)

    def guest_path(self) -> bytes:
        return self.name

    def ioctl(self, t: Any, cmd: int, arg: int) -> int:
        """Allow-listed tty ioctls go to the host fd; ENOTTY for anything else."""
        if cmd == FIONREAD:
            t.mem.write_i32(arg, self.readable_now())
            return 0
        if not self.is_tty:
            raise ENOTTY()
        job = self.tty_job
        if cmd == TIOCGPGRP:
            t.mem.write_i32(arg, job.get_pgrp(t))
            return 0
        if cmd == TIOCSPGRP:
            return job.set_pgrp(t, t.mem.read_i32(arg))
        if cmd == TIOCGSID:
            t.mem.write_i32(arg, job.get_sid(t))
            return 0
        if cmd == TIOCSCTTY:
            return job.set_ctty(t, self, arg)
        if cmd == TIOCNOTTY:
            return job.noctty(t)
        if cmd in (TCSETS, TCSETSW, TCSETSF):
            job.check_change(t)
        spec = _FORWARD.get(cmd)
        if spec is None:
            raise ENOTTY()
        n_in, n_out = spec
        buf = t.mem.read(arg, n_in) if n_in else bytes(n_out)
        try:
            out = fcntl.ioctl(self.host_fd, cmd, buf)
        except OSError as e:
            raise sys_error(e) from None
        if n_out:
            t.mem.write(arg, out[:n_out])
        return 0

    def tostop(self) -> bool:
        """Whether the terminal's TOSTOP flag is set (background writes then stop)."""
        try:
            lflag = struct.unpack_from("<I", fcntl.ioctl(self.host_fd, TCGETS, bytes(36)), 12)
        except OSError:
            return False
        return bool(lflag[0] & TOSTOP)

    def reopen(self, flags: int) -> HostStreamFile:
        """A new description on the same host file (opening /dev/tty)."""
        if self.host_fd < 0:
            raise EBADF()
        return HostStreamFile(os.dup(self.host_fd), flags, self.name)


def _epollable(fd: int) -> bool:
    """Whether the loop's epoll set could watch fd (a file with a poll method)."""
    ep = select.epoll()
    try:
        ep.register(fd, select.EPOLLIN)
        return True
    except OSError:
        return False
    finally:
        ep.close()


def _host_name(fd: int) -> bytes:
    """What /proc/<pid>/fd shows: pipe:[ino] / socket:[ino] for streams, else the host path."""
    st = os.fstat(fd)
    if pystat.S_ISFIFO(st.st_mode):
        return b"pipe:[%d]" % st.st_ino
    if pystat.S_ISSOCK(st.st_mode):
        return b"socket:[%d]" % st.st_ino
    try:
        # What the host calls it: in `do` the host's tree is the guest's, so the path holds.
        return os.fsencode(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return b"/dev/console" if os.isatty(fd) else b"anon_inode:[stdio]"

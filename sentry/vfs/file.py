"""File descriptions: the open-file object that fds point to (offset, status flags).

A FileDescription is shared by dup'ed fds and by fork; FdTable counts references and
calls release() when the last one goes. Subclasses: SeekableFile (regular files: implement
pread_at/pwrite_at/size), DirectoryFile (getdents), and stream kinds (pipes, sockets,
host stdio) that override read/write and the readiness methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sentry.abi.errno import (
    EACCES, EBADF, EINVAL, EISDIR, ENODEV, ENOTDIR, ENOTTY, ENXIO, EOPNOTSUPP, EPERM, ESPIPE,
    EOVERFLOW,
)
from sentry.abi.stat import DT_DIR, S_IFDIR, S_IFMT, S_IFREG, Stat, StatFs, dtype_of
from sentry.kernel.creds import Credentials
from sentry.vfs import fsnotify
from sentry.vfs.locks import release_posix
from sentry.kernel.waiter import POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM
from sentry.vfs.constants import (
    MAP_SHARED, MAP_SHARED_VALIDATE, MS_NOEXEC, O_ACCMODE, O_APPEND, O_NONBLOCK, O_PATH,
    O_RDONLY, O_RDWR, O_WRONLY, PROT_EXEC, PROT_WRITE, SEEK_CUR, SEEK_DATA, SEEK_END,
    SEEK_HOLE, SEEK_SET,
)
from sentry.vfs.perm import MAY_EXEC, check_access
from sentry.vfs.resolve import path_of

if TYPE_CHECKING:
    from sentry.vfs.dentry import VirtualDentry
    from sentry.vfs.inode import Inode

MAX_OFFSET = (1 << 63) - 1


class FileDescription:
    """An open file. Errors: EBADF for the wrong access mode or O_PATH, EINVAL by default."""

    # A terminal's job control (sentry.kernel.jobctl.TtyJobControl): read and write check
    # it for background process groups (SIGTTIN/SIGTTOU). None for every other file.
    tty_job: Any = None
    # read(2) straight into task memory, read_to(mem, addr, n) for n <= DIRECT_READ_MAX:
    # the count delivered, the offset moved by it, EFAULT if none of a non-empty read could
    # be delivered. None: read() returns bytes that the caller copies out.
    read_to: Any = None
    # The epoll interest entries watching this file ({key: entry}, set by the epoll
    # implementation): they end when the last reference goes (Linux's eventpoll_release).
    epoll_links: dict[int, Any] | None = None
    # False for files Linux gives no poll method (/dev/null, /dev/zero): epoll_ctl EPERM.
    can_poll = True
    # O_ASYNC's owner, F_SETSIG signal and registration (sentry/kernel/fasync.Fown); None
    # until fcntl or FIOASYNC sets one of them.
    fown: Any = None
    # Whether flush(tg) has work to do at each close of an fd of this file (Linux's
    # ->flush; a POSIX message queue's registration).
    flushes = False

    def __init__(self, flags: int, vd: VirtualDentry | None = None) -> None:
        self.flags = flags
        self.vd = vd
        self.offset = 0
        self.refs = 0

    # --- lifetime ---------------------------------------------------------------------
    def incref(self) -> None:
        self.refs += 1

    def decref(self) -> None:
        self.refs -= 1
        if self.refs == 0:
            if fsnotify.active and self.vd is not None and not self.is_path:
                fsnotify.file_event(self, fsnotify.IN_CLOSE_WRITE if self.writable
                                    else fsnotify.IN_CLOSE_NOWRITE)
            if self.epoll_links:
                for entry in list(self.epoll_links.values()):
                    entry.drop()
            if self.fown is not None:
                self.fown.end()  # O_ASYNC's registration ends with the description
            self.release()

    def release(self) -> None:
        """Called once, when the last reference is dropped (close host fds here)."""

    def flush(self, tg: Any) -> None:
        """Called at each close of an fd of this file by process `tg` (if `flushes`)."""

    # --- O_ASYNC (sentry/kernel/fasync.py) ----------------------------------------------
    def fasync(self, own: Any, fd: int) -> None:
        """O_ASYNC set through `fd`: register `own` where this file's news are told. By
        default the file has none to tell (Linux: no fasync method; the flag stays)."""

    # --- mode -------------------------------------------------------------------------
    @property
    def inode(self) -> Inode | None:
        return self.vd.dentry.inode if self.vd else None

    @property
    def is_path(self) -> bool:
        return bool(self.flags & O_PATH)

    @property
    def readable(self) -> bool:
        return not self.flags & O_PATH and self.flags & O_ACCMODE in (O_RDONLY, O_RDWR)

    @property
    def writable(self) -> bool:
        return not self.flags & O_PATH and self.flags & O_ACCMODE in (O_WRONLY, O_RDWR)

    @property
    def nonblocking(self) -> bool:
        return bool(self.flags & O_NONBLOCK)

    def _check_read(self) -> None:
        if not self.readable:
            raise EBADF()

    def _check_write(self) -> None:
        if not self.writable:
            raise EBADF()

    # --- I/O (callers move bytes between guest memory and these) ---------------------
    # A file whose read needs the calling task (signalfd) sets this and offers
    # read_task(t, iovs) -> int | coroutine instead of read().
    task_read = False

    def read(self, n: int) -> bytes:
        """Reads up to n bytes at the file offset; EAGAIN if a stream has none yet."""
        self._check_read()
        raise EINVAL()

    def write(self, data: bytes) -> int:
        self._check_write()
        raise EINVAL()

    def pread(self, n: int, off: int) -> bytes:
        self._check_read()
        raise ESPIPE()

    def pwrite(self, data: bytes, off: int) -> int:
        self._check_write()
        raise ESPIPE()

    def seek(self, off: int, whence: int) -> int:
        if self.is_path:
            raise EBADF()
        raise ESPIPE()

    def getdents(self, t: Any, size: int, legacy: bool = False) -> bytes:
        if self.is_path:
            raise EBADF()
        raise ENOTDIR()

    def ioctl(self, t: Any, cmd: int, arg: int) -> int:
        raise ENOTTY()

    def fsync(self) -> None:
        if self.is_path:
            raise EBADF()

    def truncate(self, size: int) -> None:
        """ftruncate(2): EINVAL unless a regular file open for writing."""
        raise EINVAL()

    def allocate(self, mode: int, off: int, length: int) -> None:
        """fallocate(2) after the generic checks (sys_fallocate): EOPNOTSUPP unless the
        filesystem implements it."""
        raise EOPNOTSUPP()

    # --- readiness (poll/epoll and t.io_wait) -----------------------------------------
    def poll_events(self) -> int:
        """The POLL* bits ready now. Files that never block are always ready."""
        return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM

    def wait_source(self) -> Any:
        """What t.io_wait waits on: a host fd number or a WaitQueue (None: never blocks)."""
        return None

    def readable_now(self) -> int:
        """Bytes available for FIONREAD."""
        raise ENOTTY()

    # --- attributes -------------------------------------------------------------------
    def stat(self) -> Stat:
        st = self.vd.dentry.inode.stat()
        st.mnt_id = self.vd.mount.id
        return st

    def statfs(self) -> StatFs:
        """The filesystem's figures; an anonymous kind overrides this with its own."""
        if self.vd is None:
            raise EINVAL()
        return self.vd.mount.fs.statfs()

    def guest_path(self) -> bytes:
        """The absolute path inside the sandbox (for /proc/<pid>/fd, exe, and getcwd)."""
        if self.vd is None:
            return b"anon_inode:[unknown]"
        return path_of(self.vd.mount.vfs.root(), self.vd)

    # --- exec and mmap ----------------------------------------------------------------
    def check_exec(self, creds: Credentials) -> None:
        """EACCES unless a regular file with an x bit for creds, not on a noexec mount."""
        if self.vd is None:
            raise EACCES()
        st = self.vd.dentry.inode.stat()
        if st.mode & S_IFMT != S_IFREG or self.vd.mount.flags & MS_NOEXEC:
            raise EACCES()
        check_access(creds, st, MAY_EXEC)

    def mmap_fd(self, prot: int, flags: int) -> int:
        """A host fd the Sentry holds that the host may mmap; ENODEV if not mappable."""
        raise ENODEV()

    def _check_mmap(self, prot: int, flags: int) -> None:
        """mmap(2)'s EACCES rules for the open mode, and EPERM for an executable mapping
        of a file on a noexec mount."""
        if not self.readable:
            raise EACCES()
        shared = flags & 0xF in (MAP_SHARED, MAP_SHARED_VALIDATE)
        # Linux's "append-only" EACCES is the inode attribute (chattr +a), not O_APPEND.
        if shared and prot & PROT_WRITE and not self.writable:
            raise EACCES()
        if prot & PROT_EXEC and self.vd is not None and self.vd.mount.flags & MS_NOEXEC:
            raise EPERM()


DIRECT_READ_MAX = 1 << 16  # read_to's limit per call


class SeekableFile(FileDescription):
    """A regular file: subclasses implement pread_at, pwrite_at and size.

    """

    def pread_at(self, n: int, off: int) -> bytes:
        raise EINVAL()

    def pwrite_at(self, data: bytes, off: int) -> int:
        raise EINVAL()

    def size(self) -> int:
        return self.stat().size

    def read(self, n: int) -> bytes:
        self._check_read()
        data = self.pread_at(n, self.offset)
        self.offset += len(data)
        return data

    def write(self, data: bytes) -> int:
        self._check_write()
        if self.flags & O_APPEND:
            self.offset = self.size()
        n = self.pwrite_at(data, self.offset)
        self.offset += n
        return n

    def pread(self, n: int, off: int) -> bytes:
        self._check_read()
        if off < 0:
            raise EINVAL()
        return self.pread_at(n, off)

    def pwrite(self, data: bytes, off: int) -> int:
        self._check_write()
        if off < 0:
            raise EINVAL()
        # Linux quirk: with O_APPEND, pwrite appends whatever the offset says.
        return self.pwrite_at(data, self.size() if self.flags & O_APPEND else off)

    def seek(self, off: int, whence: int) -> int:
        if self.is_path:
            raise EBADF()
        if whence == SEEK_SET:
            new = off
        elif whence == SEEK_CUR:
            new = self.offset + off
        elif whence == SEEK_END:
            new = self.size() + off
        elif whence in (SEEK_DATA, SEEK_HOLE):
            size = self.size()
            if off < 0 or off >= size:
                raise ENXIO()
            new = off if whence == SEEK_DATA else size
        else:
            raise EINVAL()
        if new < 0:
            raise EINVAL()
        if new > MAX_OFFSET:
            raise EOVERFLOW()
        self.offset = new
        return new

    def truncate(self, size: int) -> None:
        if not self.writable:
            raise EINVAL()
        self.truncate_at(size)

    def truncate_at(self, size: int) -> None:
        raise EINVAL()


class DirectoryFile(FileDescription):
    """An open directory: getdents64 over a snapshot taken at offset 0."""

    def __init__(self, flags: int, vd: VirtualDentry) -> None:
        super().__init__(flags, vd)
        self._entries: list[tuple[bytes, int, int]] | None = None

    def read(self, n: int) -> bytes:
        raise EISDIR()

    def write(self, data: bytes) -> int:
        raise EBADF()

    def pread(self, n: int, off: int) -> bytes:
        raise EISDIR()

    def pwrite(self, data: bytes, off: int) -> int:
        raise EBADF()

    def seek(self, off: int, whence: int) -> int:
        if self.is_path:
            raise EBADF()
        if whence == SEEK_SET:
            new = off
        elif whence == SEEK_CUR:
            new = self.offset + off
        else:
            raise EINVAL()
        if new < 0:
            raise EINVAL()
        if new == 0:
            self._entries = None  # rewinddir sees new entries
        self.offset = new
        return new

    def _snapshot(self, t: Any) -> list[tuple[bytes, int, int]]:
        vd = self.vd
        inode = vd.dentry.inode
        parent = vd.dentry.parent
        if parent is None and vd.mount.parent is not None:
            parent = vd.mount.point.parent or vd.mount.point
        pino = (parent or vd.dentry).inode.stat().ino
        out = [(b".", inode.stat().ino, DT_DIR), (b"..", pino, DT_DIR)]
        out += [(e.name, e.ino, e.dtype) for e in inode.iterdir(t)]
        return out

    def getdents(self, t: Any, size: int, legacy: bool = False) -> bytes:
        """Packs linux_dirent64 records that fit in `size` (EINVAL if not even one fits);
        `legacy`: getdents(2)'s struct linux_dirent, whose d_type is its last byte."""
        if self.is_path:
            raise EBADF()
        if self._entries is None:
            self._entries = self._snapshot(t)
        out = bytearray()
        while self.offset < len(self._entries):
            name, ino, dtype = self._entries[self.offset]
            reclen = (18 + len(name) + 2 + 7) & ~7 if legacy else (19 + len(name) + 1 + 7) & ~7
            if len(out) + reclen > size:
                if not out:
                    raise EINVAL()
                break
            rec = ino.to_bytes(8, "little") + (self.offset + 1).to_bytes(8, "little")
            if legacy:
                rec += reclen.to_bytes(2, "little") + name
                rec += bytes(reclen - len(rec) - 1) + bytes([dtype])
            else:
                rec += reclen.to_bytes(2, "little") + bytes([dtype]) + name
            out += rec + bytes(reclen - len(rec))
            self.offset += 1
        return bytes(out)


class PathFile(FileDescription):
    """An O_PATH description: only names a file (fstat, *at, fchdir, /proc links)."""

    def read(self, n: int) -> bytes:
        raise EBADF()

    def write(self, data: bytes) -> int:
        raise EBADF()

    def pread(self, n: int, off: int) -> bytes:
        raise EBADF()

    def pwrite(self, data: bytes, off: int) -> int:
        raise EBADF()

    def ioctl(self, t: Any, cmd: int, arg: int) -> int:
        raise EBADF()

    def truncate(self, size: int) -> None:
        raise EBADF()

    def mmap_fd(self, prot: int, flags: int) -> int:
        raise EBADF()

    def fsync(self) -> None:
        raise EBADF()


def is_dir_mode(mode: int) -> bool:
    return mode & S_IFMT == S_IFDIR


__all__ = [
    "FileDescription", "SeekableFile", "DirectoryFile", "PathFile", "dtype_of", "is_dir_mode",
]


def fd_closed(tg: Any, f: FileDescription) -> None:
    """What every close of an fd does before the reference goes (close, close_range,
    dup2 over it, an exec's CLOEXEC): the process's POSIX locks on the file go, and the
    file's flush runs."""
    release_posix(tg, f)
    if f.flushes:
        f.flush(tg)

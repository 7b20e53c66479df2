"""Hints about files: fadvise64, readahead, sync_file_range.

The Sentry's files live in its memory or behind host fds it reads on demand: there is no
page cache of ours to prefetch, drop or write back, so each call checks what Linux checks
(the fd, the file's kind, the arguments), then has nothing more to do, as Linux's own
tmpfs, whose fadvise accepts every advice and does nothing.
"""

from __future__ import annotations

from sentry.abi.errno import EBADF, EINVAL, ESPIPE
from sentry.abi.stat import S_IFBLK, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.vfs.file import FileDescription

POSIX_FADV_NOREUSE = 5
SYNC_FILE_RANGE_ALL = 7  # WAIT_BEFORE | WRITE | WAIT_AFTER


def _file(t: Task, fd: int) -> FileDescription:
    """The fd's file; an O_PATH fd is EBADF (Linux's fdget skips them)."""
    f = t.fds.get(fd)
    if f.is_path:
        raise EBADF()
    return f


def _fadvise(f: FileDescription, length: int, advice: int) -> int:
    """generic_fadvise's checks: a FIFO is ESPIPE, a negative length or unknown advice
    EINVAL."""
    if f.stat().mode & S_IFMT == S_IFIFO:
        raise ESPIPE()
    if length < 0 or not 0 <= advice <= POSIX_FADV_NOREUSE:
        raise EINVAL()
    return 0


def sys_fadvise64(t: Task, a: Args) -> int:
    """Implements fadvise64(2) (posix_fadvise): every valid advice is accepted."""
    return _fadvise(_file(t, a.int(0)), a.long(2), a.int(3))


def sys_readahead(t: Task, a: Args) -> int:
    """Implements readahead(2): EBADF unless open for reading, EINVAL unless a regular
    file (or block device)."""
    f = _file(t, a.int(0))
    if not f.readable:
        raise EBADF()
    if f.stat().mode & S_IFMT not in (S_IFREG, S_IFBLK):
        raise EINVAL()
    return _fadvise(f, a.long(2), 3)  # POSIX_FADV_WILLNEED


def sys_sync_file_range(t: Task, a: Args) -> int:
    """Implements sync_file_range(2): the Sentry's writes are done when they return."""
    f = _file(t, a.int(0))
    offset, nbytes, flags = a.long(1), a.long(2), a.uint(3)
    end = offset + nbytes
    if flags & ~SYNC_FILE_RANGE_ALL or offset < 0 or end < 0 or end >= 1 << 63 or end < offset:
        raise EINVAL()
    if f.stat().mode & S_IFMT not in (S_IFREG, S_IFBLK, S_IFDIR, S_IFLNK):
        raise ESPIPE()
    return 0

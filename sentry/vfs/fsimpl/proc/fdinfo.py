"""/proc/<pid>/fdinfo/ (and task/<tid>/fdinfo/): one file per open fd (Linux's
fs/proc/fd.c).

Each file reads `pos`, `flags` (octal: the description's status flags as F_GETFL shows
them, with O_CLOEXEC added when the fd has close-on-exec), `mnt_id` and `ino`, then the
`lock:` lines of the file's locks (flock, then record locks set through this description),
then the lines of the file's kind: a description that has them offers
`show_fdinfo() -> bytes`, as Linux's file_operations do (eventfd, signalfd, epoll,
inotify, timerfd, pidfd).

Access is Linux's (6.x): the directory is 0555 and the files 0444, and both the
directory and the files need ptrace-read access to the task
(creds.may_inspect with fscreds: the caller's own process, the same ids, or
CAP_SYS_PTRACE).
The text is taken at open; a closed fd is ENOENT.

Differences: record locks are not merged with their neighbours as Linux merges them (two
adjacent locks of one process show as two lines).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sentry.abi.errno import EACCES, ENOENT
from sentry.abi.stat import S_IFREG, kernel_dev
from sentry.kernel.creds import may_inspect
from sentry.vfs.constants import O_ACCMODE, O_CLOEXEC, O_RDONLY
from sentry.vfs.fsimpl.proc.procfs import BytesFile, ProcDir, ProcFS, ProcInode
from sentry.vfs.locks import fdinfo_locks
from sentry.vfs.inode import Inode


def fdinfo_text(f: Any, cloexec: bool, owner: Any = None) -> bytes:
    """The contents of /proc/<pid>/fdinfo/<fd> for the description f; `owner`: the
    process whose fd table holds it (the owner of its POSIX locks)."""
    st = f.stat()
    flags = f.flags | (O_CLOEXEC if cloexec else 0)
    head = b"pos:\t%d\nflags:\t0%o\nmnt_id:\t%d\nino:\t%d\n" % (
        f.offset, flags, st.mnt_id, st.ino)
    head += fdinfo_locks(f, owner, kernel_dev(st.dev), st.ino)
    show = getattr(f, "show_fdinfo", None)
    return head + show() if show is not None else head


def check_ptrace_read(t: Any, tg: Any) -> None:
    """EACCES unless the caller may read the task's fds (PTRACE_MODE_READ_FSCREDS)."""
    if not may_inspect(t.creds, tg.leader, t.tg is tg, fscreds=True):
        raise EACCES()


def fdinfo_entries(tg: Any, task: Any, k: str) -> Any:
    """The entries of <k>fdinfo/: one file per open fd of `task`'s table."""
    def entries(t: Any, d: ProcDir) -> dict[bytes, Callable[[], Inode]]:
        check_ptrace_read(t, tg)
        fs = d.fs
        return {b"%d" % fd: (lambda fd=fd: FdInfoFile(fs, f"{k}fdinfo/{fd}", tg, task, fd))
                for fd, _ in task.fds.items()}

    return entries


class FdInfoDir(ProcDir):
    """fdinfo/ itself: opening it (to list it) needs the access too, as a lookup in it."""

    def __init__(self, fs: ProcFS, k: str, tg: Any, task: Any) -> None:
        super().__init__(fs, k + "fdinfo", 0o555, fdinfo_entries(tg, task, k), tg)
        self.tg = tg

    def open(self, t: Any, vd: Any, flags: int) -> Any:
        check_ptrace_read(t, self.tg)
        return super().open(t, vd, flags)


class FdInfoFile(ProcInode):
    def __init__(self, fs: ProcFS, key: str, tg: Any, task: Any, fd: int) -> None:
        super().__init__(fs, key, S_IFREG | 0o444, tg)
        self.tg, self.task, self.fd = tg, task, fd

    def open(self, t: Any, vd: Any, flags: int) -> Any:
        if flags & O_ACCMODE != O_RDONLY:
            raise EACCES()
        check_ptrace_read(t, self.tg)
        fds = self.task.fds
        if self.fd not in fds:
            raise ENOENT()
        return BytesFile(flags, vd, fdinfo_text(fds.get(self.fd), fds.get_cloexec(self.fd),
                                                self.tg))

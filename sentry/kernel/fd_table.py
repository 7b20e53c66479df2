"""A task's file descriptor table: fd → (FileDescription, close-on-exec)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sentry.abi.errno import EBADF, EINVAL, EMFILE
from sentry.kernel.args import M32

if TYPE_CHECKING:
    from sentry.vfs.file import FileDescription

DEFAULT_LIMIT = 1024
NR_OPEN = 1 << 20  # Linux's fs.nr_open default: the ceiling for RLIMIT_NOFILE


class FdTable:
    """Shared between threads (CLONE_FILES) or copied by fork().

    Each slot holds a reference on its FileDescription (incref on install, decref on close).
    `limit` is RLIMIT_NOFILE's soft value: install fails with EMFILE at or above it.
    """

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._fds: dict[int, tuple[FileDescription, bool]] = {}
        # No fd below this one is free (Linux's files->next_fd): the search for the lowest
        # free fd starts here, not at 0. Lowered by every removal below it.
        self._next = 0

    def get(self, fd: int) -> FileDescription:
        """The file at fd (EBADF): a C int, or a register as it is (Args.fd), of which its
        low 32 bits (every fd in the table is below 2**31, so no negative int finds one)."""
        entry = self._fds.get(fd & M32)
        if entry is None:
            raise EBADF()
        return entry[0]

    def __contains__(self, fd: int) -> bool:
        return fd in self._fds

    def __len__(self) -> int:
        return len(self._fds)

    def install(self, f: FileDescription, cloexec: bool = False, min_fd: int = 0) -> int:
        """Puts f at the lowest free fd >= min_fd (EMFILE at the limit, EINVAL past it)."""
        fds = self._fds
        if min_fd:
            fd = self.free_fd(min_fd)
            if fd == self._next:
                self._next = fd + 1
        else:  # (free_fd's walk, inlined: every open and socket comes here)
            fd = self._next
            while fd in fds:
                fd += 1
            if fd >= self.limit:
                raise EMFILE()
            self._next = fd + 1  # every fd below it is taken now
        f.refs += 1  # (f.incref(), inlined)
        fds[fd] = (f, cloexec)
        return fd

    def free_fd(self, min_fd: int = 0) -> int:
        """The fd install would take now (EMFILE at the limit, EINVAL for a min_fd past it;
        with RLIMIT_NOFILE 0 a new fd is EMFILE, as on Linux)."""
        if min_fd < 0 or min_fd and min_fd >= self.limit:
            raise EINVAL()
        fd = max(min_fd, self._next)
        while fd in self._fds:
            fd += 1
        if fd >= self.limit:
            raise EMFILE()
        return fd

    def install_at(self, fd: int, f: FileDescription, cloexec: bool = False,
                   closing: Callable[[FileDescription], None] | None = None) -> None:
        """Puts f at fd, closing what was there (dup2/dup3). EBADF outside [0, limit).
        `closing` sees a description that leaves the table first (close's POSIX locks)."""
        if fd < 0 or fd >= self.limit:
            raise EBADF()
        f.incref()
        old = self._fds.get(fd)
        self._fds[fd] = (f, cloexec)
        if old is not None:
            if closing is not None:
                closing(old[0])
            old[0].decref()

    def close(self, fd: int) -> None:
        entry = self._fds.pop(fd, None)
        if entry is None:
            raise EBADF()
        if fd < self._next:
            self._next = fd
        entry[0].decref()

    def remove(self, fd: int) -> FileDescription:
        """Takes fd out of the table, keeping its reference for the caller (EBADF); fd as
        get() takes it."""
        fd &= M32
        entry = self._fds.pop(fd, None)
        if entry is None:
            raise EBADF()
        if fd < self._next:
            self._next = fd
        return entry[0]

    def get_cloexec(self, fd: int) -> bool:
        entry = self._fds.get(fd)
        if entry is None:
            raise EBADF()
        return entry[1]

    def set_cloexec(self, fd: int, cloexec: bool) -> None:
        f = self.get(fd)
        self._fds[fd] = (f, cloexec)

    def fork(self) -> FdTable:
        """A copy for a child process: the same descriptions, one more reference each."""
        new = FdTable(self.limit)
        for fd, (f, cloexec) in self._fds.items():
            f.incref()
            new._fds[fd] = (f, cloexec)
        new._next = self._next
        return new

    def close_on_exec(self, closing: Callable[[FileDescription], None] | None = None) -> None:
        for fd in [fd for fd, (_, c) in self._fds.items() if c]:
            if closing is not None:
                closing(self._fds[fd][0])
            self.close(fd)

    def close_all(self) -> None:
        """Drops every fd (the task group exits)."""
        for fd in list(self._fds):
            self.close(fd)

    def items(self) -> list[tuple[int, FileDescription]]:
        """(fd, file) pairs in fd order."""
        return [(fd, self._fds[fd][0]) for fd in sorted(self._fds)]

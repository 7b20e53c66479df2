"""FdTable semantics: lowest free fd, limits, dup2 replacement, cloexec, fork refs."""

from __future__ import annotations

import pytest

from sentry.abi.errno import EBADF, EINVAL, EMFILE
from sentry.kernel.fd_table import FdTable
from sentry.vfs.file import FileDescription


class Counted(FileDescription):
    def __init__(self) -> None:
        super().__init__(0)
        self.released = 0

    def release(self) -> None:
        self.released += 1


def test_lowest_free_and_min_fd() -> None:
    fds, a, b = FdTable(), Counted(), Counted()
    assert fds.install(a) == 0
    assert fds.install(b) == 1
    fds.close(0)
    assert fds.install(b) == 0
    assert fds.install(a, min_fd=10) == 10
    assert fds.install(a, min_fd=10) == 11
    with pytest.raises(EBADF):
        fds.get(5)
    with pytest.raises(EBADF):
        fds.close(5)


def test_limit() -> None:
    fds, f = FdTable(limit=3), Counted()
    for _ in range(3):
        fds.install(f)
    with pytest.raises(EMFILE):
        fds.install(f)
    with pytest.raises(EINVAL):
        fds.install(f, min_fd=3)
    with pytest.raises(EBADF):
        fds.install_at(3, f)


def test_install_at_replaces_and_releases() -> None:
    fds, a, b = FdTable(), Counted(), Counted()
    fds.install(a)
    fds.install_at(0, b, cloexec=True)
    assert a.released == 1 and fds.get(0) is b and fds.get_cloexec(0)
    fds.install_at(0, b)  # same file again: still one reference
    assert b.refs == 1 and b.released == 0


def test_fork_close_on_exec_and_release_on_last_close() -> None:
    fds, a, b = FdTable(), Counted(), Counted()
    fds.install(a)
    fds.install(b, cloexec=True)
    child = fds.fork()
    assert a.refs == 2 and child.get_cloexec(1)
    child.close_on_exec()
    assert 1 not in child and b.released == 0
    fds.close(1)
    assert b.released == 1
    fds.close(0)
    assert a.released == 0
    child.close(0)
    assert a.released == 1
    fds.set_cloexec  # noqa: B018 (exists)
    assert [fd for fd, _ in FdTable().items()] == []


def test_limit_zero_is_emfile() -> None:
    # RLIMIT_NOFILE 0: a new fd is EMFILE (open, memfd_create ...), as on Linux.
    with pytest.raises(EMFILE):
        FdTable(limit=0).install(Counted())


def test_lowest_free_after_closes_dups_and_min_fd() -> None:
    # The search's start (FdTable._next) never skips a free fd: closes below it, dup2 onto
    # fds above it, min_fd installs and a fork's copy all keep "lowest free" exact.
    fds, f = FdTable(), Counted()
    assert [fds.install(f) for _ in range(4)] == [0, 1, 2, 3]
    fds.close(1)
    fds.remove(2)
    assert fds.install(f) == 1
    fds.install_at(2, f)
    fds.install_at(5, f)
    assert fds.install(f) == 4
    assert fds.install(f) == 6
    assert fds.install(f, min_fd=2) == 7
    fds.close(0)
    assert fds.install(f, min_fd=3) == 8
    child = fds.fork()
    assert child.install(f) == 0 and fds.install(f) == 0
    assert fds.install(f) == 9
    assert fds.free_fd(0) == 10 and fds.free_fd(12) == 12

"""memfd_create(2) and file seals: the seal rules alone (seals.py, checked against Linux
6.18 by tests/syscalls/probes/memfd.c), then through the handlers on a fake task."""

from __future__ import annotations

import mmap

import pytest

from sentry.abi.errno import EBADF, EBUSY, EFAULT, EINVAL, EMFILE, ENODEV, ENOMEM, ENOSPC, EPERM
from sentry.syscalls.sys_file import sys_fcntl
from sentry.syscalls.sys_memfd import F_ADD_SEALS, F_GET_SEALS, sys_memfd_create
from sentry.vfs import ops
from sentry.vfs.constants import (
    AT_FDCWD, MAP_PRIVATE, MAP_SHARED, O_CREAT, O_RDONLY, O_RDWR, PROT_READ, PROT_WRITE,
)
from sentry.vfs.fsimpl.tmpfs import seals as sl
from sentry.vfs.fsimpl.tmpfs.memfd import MFD_ALLOW_SEALING, MFD_CLOEXEC, MFD_HUGETLB
from sentry.vfs.fsimpl.tmpfs.memfd import MFD_EXEC, MFD_NOEXEC_SEAL
from sentry.vfs.inode import SetAttr
from tests.unit.vfs.conftest import call

SEAL, SHRINK, GROW, WRITE = sl.F_SEAL_SEAL, sl.F_SEAL_SHRINK, sl.F_SEAL_GROW, sl.F_SEAL_WRITE
FUTURE, EXEC = sl.F_SEAL_FUTURE_WRITE, sl.F_SEAL_EXEC


# --- the rules ------------------------------------------------------------------------
def test_added():
    assert sl.added(0, WRITE | SEAL, 0o100777) == WRITE | SEAL
    with pytest.raises(EINVAL):
        sl.added(0, 0x40, 0o100777)
    with pytest.raises(EPERM):
        sl.added(SEAL, 0, 0o100777)  # even adding nothing
    # F_SEAL_EXEC on a file with an exec bit brings the write and size seals (W^X) ...
    assert sl.added(0, EXEC, 0o100755) == 62
    # ... but not on one without.
    assert sl.added(0, EXEC, 0o100600) == EXEC


def test_writable_bytes():
    assert sl.writable_bytes(0, 0, 10, 0) == 10
    assert sl.writable_bytes(WRITE, 0, 0, 0) == 0  # an empty write never fails
    for s in (WRITE, FUTURE):
        with pytest.raises(EPERM):
            sl.writable_bytes(s, 0, 1, 100)
    assert sl.writable_bytes(SHRINK, 50, 100, 10) == 100
    # GROW: page-sized chunks up to the first that would end past the end.
    assert sl.writable_bytes(GROW, 90, 10, 100) == 10
    with pytest.raises(EPERM):
        sl.writable_bytes(GROW, 90, 20, 100)
    assert sl.writable_bytes(GROW, 10, 8192, 4196) == 4086
    assert sl.writable_bytes(GROW, 0, 8000, 4196) == 4096
    with pytest.raises(EPERM):
        sl.writable_bytes(GROW, 4146, 100, 4196)


def test_truncate_fallocate_mmap_chmod_rules():
    sl.check_truncate(SHRINK, 100, 100)
    sl.check_truncate(SHRINK, 100, 200)
    with pytest.raises(EPERM):
        sl.check_truncate(SHRINK, 100, 50)
    with pytest.raises(EPERM):
        sl.check_truncate(GROW, 100, 200)
    sl.check_truncate(WRITE, 100, 0)  # a write seal does not stop truncation
    sl.check_fallocate(WRITE, 0, 0, 100, 0)  # allocating is not writing
    with pytest.raises(EPERM):
        sl.check_fallocate(WRITE, 3, 0, 100, 200)  # punching is
    sl.check_fallocate(SHRINK, 3, 0, 100, 200)
    with pytest.raises(EPERM):
        sl.check_fallocate(GROW, 1, 0, 200, 100)  # KEEP_SIZE too
    sl.check_fallocate(GROW, 0, 0, 100, 100)
    sl.check_mmap(WRITE, PROT_READ | PROT_WRITE, MAP_PRIVATE)
    sl.check_mmap(WRITE, PROT_READ, MAP_SHARED)
    for flags in (MAP_SHARED, 3):  # MAP_SHARED_VALIDATE
        with pytest.raises(EPERM):
            sl.check_mmap(FUTURE, PROT_WRITE, flags)
    sl.check_chmod(EXEC, 0o755, 0o711)
    with pytest.raises(EPERM):
        sl.check_chmod(EXEC, 0o755, 0o644)
    sl.check_chmod(WRITE, 0o755, 0o644)


# --- through the handlers -------------------------------------------------------------
def memfd(t, name: bytes = b"m", flags: int = 0):
    r = call(t, sys_memfd_create, t.put(name), flags)
    assert isinstance(r, int), r
    return r, t.fds.get(r)


def fcntl(t, fd: int, cmd: int, arg: int = 0):
    return call(t, sys_fcntl, fd, cmd, arg)


def test_memfd_create_file(t):
    fd, f = memfd(t, b"abc", MFD_CLOEXEC | MFD_ALLOW_SEALING)
    st = f.stat()
    assert (st.mode, st.nlink, st.size) == (0o100777, 0, 0)
    assert f.flags & O_RDWR and t.fds.get_cloexec(fd)
    assert f.guest_path() == b"/memfd:abc (deleted)"
    assert fcntl(t, fd, F_GET_SEALS) == 0
    fd2, f2 = memfd(t, b"x", MFD_NOEXEC_SEAL)
    assert f2.stat().mode == 0o100666 and fcntl(t, fd2, F_GET_SEALS) == EXEC
    fd3, _ = memfd(t, b"x", MFD_EXEC)
    assert fcntl(t, fd3, F_GET_SEALS) == SEAL
    assert not t.fds.get_cloexec(fd3)


def test_memfd_create_errors(t):
    assert call(t, sys_memfd_create, t.put(b"x"), MFD_EXEC | MFD_NOEXEC_SEAL) is EINVAL
    assert call(t, sys_memfd_create, t.put(b"x"), 0x20) is EINVAL
    assert call(t, sys_memfd_create, t.put(b"x"), 21 << 26) is EINVAL  # size without HUGETLB
    assert call(t, sys_memfd_create, 0, 0) is EFAULT
    assert isinstance(call(t, sys_memfd_create, t.put(b"n" * 249), 0), int)
    assert call(t, sys_memfd_create, t.put(b"n" * 250), 0) is EINVAL
    assert call(t, sys_memfd_create, t.put(b"x"), MFD_HUGETLB | 16 << 26) is ENODEV
    t.fds.limit = len(list(t.fds.items()))
    assert call(t, sys_memfd_create, t.put(b"x"), 0) is EMFILE


def test_seals_are_enforced(t):
    fd, f = memfd(t, b"s", MFD_ALLOW_SEALING)
    f.truncate(4096)
    host = f.mmap_fd(PROT_READ | PROT_WRITE, MAP_SHARED)
    with mmap.mmap(host, 4096, mmap.MAP_SHARED) as m:  # a task's writable shared mapping
        assert fcntl(t, fd, F_ADD_SEALS, WRITE) is EBUSY  # the host counts it
        m[:2] = b"ok"
    assert fcntl(t, fd, F_ADD_SEALS, WRITE | SHRINK) == 0
    assert fcntl(t, fd, F_GET_SEALS) == WRITE | SHRINK
    with pytest.raises(EPERM):
        f.write(b"x")
    with pytest.raises(EPERM):
        f.truncate(10)
    with pytest.raises(EPERM):
        f.mmap_fd(PROT_READ | PROT_WRITE, MAP_SHARED)
    assert f.mmap_fd(PROT_READ | PROT_WRITE, MAP_PRIVATE) == host
    f.truncate(8192)
    assert f.pread(2, 0) == b"ok"
    assert fcntl(t, fd, F_ADD_SEALS, SEAL) == 0
    assert fcntl(t, fd, F_ADD_SEALS, 0) is EPERM


def test_exec_seal_keeps_the_exec_bits(t):
    fd, f = memfd(t, b"e", MFD_ALLOW_SEALING)
    f.truncate(4096)
    host = f.mmap_fd(PROT_READ | PROT_WRITE, MAP_SHARED)
    with mmap.mmap(host, 4096, mmap.MAP_SHARED):  # the F_SEAL_WRITE it brings is refused
        assert fcntl(t, fd, F_ADD_SEALS, EXEC) is EBUSY
    assert fcntl(t, fd, F_GET_SEALS) == 0
    assert fcntl(t, fd, F_ADD_SEALS, EXEC) == 0
    assert fcntl(t, fd, F_GET_SEALS) == 62
    node = f.vd.dentry.inode
    with pytest.raises(EPERM):
        node.setattr(t, SetAttr(mode=0o644))
    node.setattr(t, SetAttr(mode=0o711))


def test_seals_of_other_files(t):
    f = ops.open_at(t, AT_FDCWD, b"/dev/shm/x", O_RDWR | O_CREAT, 0o600)
    fd = t.fds.install(f)
    assert fcntl(t, fd, F_GET_SEALS) == SEAL  # tmpfs, but not sealable
    assert fcntl(t, fd, F_ADD_SEALS, WRITE) is EPERM
    ro = t.fds.install(ops.open_at(t, AT_FDCWD, b"/etc/passwd", O_RDONLY, 0))
    assert fcntl(t, ro, F_GET_SEALS) is EINVAL  # a host file has none
    assert fcntl(t, ro, F_ADD_SEALS, WRITE) is EPERM  # not open for writing comes first
    assert fcntl(t, 99, F_GET_SEALS) is EBADF


def test_hugetlb_without_huge_pages(t):
    fd, f = memfd(t, b"h", MFD_HUGETLB | MFD_ALLOW_SEALING)
    assert f.stat().blksize == 2 << 20
    assert f.vd.mount.fs.statfs().type == 0x958458F6
    with pytest.raises(EINVAL):
        f.write(b"x")
    with pytest.raises(EINVAL):
        f.truncate(4096)
    f.truncate(2 << 20)
    assert f.pread(4, 0) == bytes(4)
    with pytest.raises(ENOMEM):
        f.mmap_fd(PROT_READ, MAP_SHARED)
    with pytest.raises(ENOSPC):
        f.allocate(0, 0, 2 << 20)
    assert f.map_align == 2 << 20
    _, g = memfd(t, b"g", MFD_HUGETLB | 30 << 26)
    assert g.stat().blksize == 1 << 30

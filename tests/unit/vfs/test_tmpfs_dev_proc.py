"""tmpfs data and mmap_fd, device files, procfs contents, host stream files."""

from __future__ import annotations

import mmap
import os

import pytest

from sentry.abi.errno import EACCES, EAGAIN, ENOENT, ENOSPC, ENXIO
from sentry.vfs import ops
from sentry.vfs.constants import (
    AT_FDCWD, MAP_PRIVATE, MAP_SHARED, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY, PROT_READ,
    PROT_WRITE,
)
from sentry.vfs.fsimpl.host.stream import HostStreamFile
from tests.unit.vfs.conftest import make_task, user


def opn(t, path: bytes, flags: int = O_RDONLY):
    return ops.open_at(t, AT_FDCWD, path, flags, 0o644)


def test_tmpfs_mmap_fd_shares_the_data(t):
    f = opn(t, b"/tmp/m", O_RDWR | O_CREAT)
    f.write(b"hello")
    fd = f.mmap_fd(PROT_READ | PROT_WRITE, MAP_SHARED)
    with mmap.mmap(fd, 5, mmap.MAP_SHARED) as m:
        assert m[:5] == b"hello"
        m[:1] = b"J"
    assert f.pread(5, 0) == b"Jello"
    ro = opn(t, b"/tmp/m")
    with pytest.raises(EACCES):
        ro.mmap_fd(PROT_READ | PROT_WRITE, MAP_SHARED)
    assert ro.mmap_fd(PROT_READ | PROT_WRITE, MAP_PRIVATE) == fd
    with pytest.raises(EACCES):
        opn(t, b"/tmp/m", O_WRONLY).mmap_fd(PROT_READ, MAP_PRIVATE)


def test_host_file_mmap_fd_is_read_only(t):
    f = opn(t, b"/etc/passwd")
    fd = f.mmap_fd(PROT_READ, MAP_PRIVATE)
    assert os.pread(fd, 5, 0) == b"root:"
    with pytest.raises(EACCES):
        f.mmap_fd(PROT_WRITE, MAP_SHARED)


def test_devices(t):
    assert opn(t, b"/dev/null", O_RDWR).read(10) == b""
    assert opn(t, b"/dev/zero").read(4) == b"\0\0\0\0"
    assert len(opn(t, b"/dev/urandom").read(16)) == 16
    with pytest.raises(ENOSPC):
        opn(t, b"/dev/full", O_WRONLY).write(b"x")
    with pytest.raises(ENXIO):
        opn(t, b"/dev/tty")
    assert ops.readlink_at(t, AT_FDCWD, b"/dev/stdin") == b"/proc/self/fd/0"


def test_host_device_node_is_never_opened_on_the_host(t, root, host_tree):
    # A char device 1:3 in the lower tree opens OUR null device.
    ops.mknod_at(t, AT_FDCWD, b"/tmp/n", 0o020666, os.makedev(1, 3))
    assert type(opn(t, b"/tmp/n", O_RDWR)).__name__ == "NullFile"
    ops.mknod_at(t, AT_FDCWD, b"/tmp/unknown", 0o020666, os.makedev(4, 1))
    with pytest.raises(ENXIO):
        opn(t, b"/tmp/unknown")


def test_proc_self_and_status(root):
    t = make_task(root, vpid=7)
    assert ops.readlink_at(t, AT_FDCWD, b"/proc/self") == b"7"
    status = opn(t, b"/proc/self/status").read(4096)
    assert b"Pid:\t7\n" in status and b"Name:\ttrue\n" in status and b"PPid:\t0\n" in status
    assert opn(t, b"/proc/7/cmdline").read(100) == b"true\0"
    assert opn(t, b"/proc/self/stat").read(100).startswith(b"7 (true) R 0 7 7 ")
    assert ops.readlink_at(t, AT_FDCWD, b"/proc/self/exe") == b"/bin/true"
    assert ops.readlink_at(t, AT_FDCWD, b"/proc/self/cwd") == b"/"
    assert b"MemTotal:" in opn(t, b"/proc/meminfo").read(4096)
    assert opn(t, b"/proc/sys/kernel/hostname").read(100) == b"sandbox\n"
    assert opn(t, b"/proc/sys/kernel/ostype").read(100) == b"Linux\n"
    assert b" /proc proc rw" in opn(t, b"/proc/self/mounts").read(4096)
    with pytest.raises(ENOENT):
        opn(t, b"/proc/99/status")
    with pytest.raises(EACCES):
        opn(t, b"/proc/meminfo", O_WRONLY)


def test_proc_fd_links_are_magic(t):
    f = opn(t, b"/etc/hosts")
    fd = t.fds.install(f)
    assert ops.readlink_at(t, AT_FDCWD, b"/proc/self/fd/%d" % fd) == b"/etc/hosts"
    assert opn(t, b"/proc/self/fd/%d" % fd).read(9) == b"127.0.0.1"
    t.fs.cwd = ops.lookup(t, AT_FDCWD, b"/etc/sub")
    assert opn(t, b"/proc/self/cwd/deep").read(4) == b"deep"
    f.offset = 3  # a magic-link open is a new description
    assert opn(t, b"/dev/fd/%d" % fd).read(3) == b"127"


def test_proc_is_per_caller_and_permissions(root):
    k_t = make_task(root, user(), vpid=3)
    assert ops.readlink_at(k_t, AT_FDCWD, b"/proc/self") == b"3"
    st = ops.stat_at(k_t, AT_FDCWD, b"/proc/3", True)
    assert st.uid == 1000


def test_host_stream_file_never_blocks():
    r, w = os.pipe()
    try:
        f = HostStreamFile(os.dup(r), O_RDONLY)
        with pytest.raises(EAGAIN):
            f.read(10)
        os.write(w, b"hi")
        assert f.read(10) == b"hi"
        assert f.wait_source() == f.host_fd
        g = HostStreamFile(os.dup(w), O_WRONLY)
        total = 0
        with pytest.raises(EAGAIN):
            while True:
                total += g.write(b"x" * 65536)
        assert total >= 4096
        assert os.get_blocking(w)  # the host fd stays blocking
        g.release()
        f.release()
    finally:
        os.close(r)
        os.close(w)

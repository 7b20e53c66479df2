"""Blocking reads park on the host fd; ttys; /proc thread links; sticky directories."""

from __future__ import annotations

import os
import termios

import pytest

from sentry.abi.errno import EAGAIN, ENOTTY, EPERM
from sentry.kernel.args import Args
from sentry.syscalls import sys_file, sys_ioctl, sys_read_write
from sentry.vfs import ops
from sentry.vfs.constants import AT_FDCWD, O_CREAT, O_NONBLOCK, O_RDONLY, O_WRONLY
from sentry.vfs.fsimpl.host import hostfs
from sentry.vfs.fsimpl.host.stream import HostStreamFile
from sentry.vfs.fsimpl.rootfs import controlling_tty, stdio_files
from tests.unit.vfs.conftest import call, make_task, user


def test_read_parks_until_the_host_fd_is_ready(t):
    r, w = os.pipe()
    try:
        fd = t.fds.install(HostStreamFile(os.dup(r), O_RDONLY))
        buf = t.buf(16)
        coro = sys_read_write.sys_read(t, Args([fd, buf, 16, 0, 0, 0]))
        park = coro.send(None)
        assert type(park).__name__ == "Park" and park.source == t.fds.get(fd).host_fd
        os.write(w, b"late")
        with pytest.raises(StopIteration) as done:
            coro.send(None)
        assert done.value.value == 4 and t.mem.read(buf, 4) == b"late"
        t.fds.get(fd).flags |= O_NONBLOCK
        assert call(t, sys_read_write.sys_read, fd, buf, 16) is EAGAIN
    finally:
        os.close(r)
        os.close(w)


def test_pty_stdio_ioctls_and_dev_tty(root):
    master, slave = os.openpty()
    try:
        files = stdio_files((slave, slave, slave), root)
        t = make_task(root)
        for f in files:
            t.fds.install(f)
        t.tg.controlling_tty = controlling_tty(files)
        buf = t.buf(64)
        assert call(t, sys_ioctl.sys_ioctl, 0, termios.TCGETS, buf) == 0
        assert call(t, sys_ioctl.sys_ioctl, 0, termios.TIOCGWINSZ, buf) == 0
        assert call(t, sys_ioctl.sys_ioctl, 0, termios.TIOCGPGRP, buf) == 0
        assert t.mem.read_i32(buf) == t.tg.pgid
        assert call(t, sys_ioctl.sys_ioctl, 0, 0x5412, buf) is ENOTTY  # TIOCSTI: never
        name = files[0].guest_path()
        assert name.startswith(b"/dev/pts/")
        st = ops.stat_at(t, AT_FDCWD, name, True)
        assert (st.ino, st.rdev) == (os.fstat(slave).st_ino, os.fstat(slave).st_rdev)
        tty = ops.open_at(t, AT_FDCWD, b"/dev/tty", O_WRONLY, 0)
        assert tty.write(b"hi") == 2
        assert os.read(master, 16) == b"hi"
        for f in files:
            f.release()
        tty.release()
    finally:
        os.close(master)
        os.close(slave)


def test_thread_self_and_task_dirs(root):
    t = make_task(root, vpid=4)
    assert ops.readlink_at(t, AT_FDCWD, b"/proc/thread-self") == b"4/task/4"
    assert ops.stat_at(t, AT_FDCWD, b"/proc/thread-self/root", True).ino == \
        ops.stat_at(t, AT_FDCWD, b"/", True).ino
    assert ops.lookup(t, AT_FDCWD, b"/proc/4/task/4/fd").dentry.inode.is_dir()


def test_sticky_directory(root):
    a, b = make_task(root, user(1000, 1000)), make_task(root, user(2000, 2000), vpid=2)
    ops.open_at(a, AT_FDCWD, b"/tmp/a", O_CREAT | O_WRONLY, 0o666)
    assert call(b, sys_file.sys_unlink, b.put(b"/tmp/a")) is EPERM
    assert call(a, sys_file.sys_unlink, a.put(b"/tmp/a")) == 0


def test_host_files_share_one_fd_kept_idle_after_close(t, host_tree, monkeypatch):
    monkeypatch.setattr(hostfs, "MAX_IDLE_FILE_FDS", 2)
    a = t.fds.install(ops.open_at(t, AT_FDCWD, b"/etc/hosts", O_RDONLY, 0))
    b = t.fds.install(ops.open_at(t, AT_FDCWD, b"/etc/hosts", O_RDONLY, 0))
    host = t.fds.get(a).host_fd
    assert t.fds.get(b).host_fd == host
    assert call(t, sys_file.sys_close, a) == 0
    assert call(t, sys_file.sys_close, b) == 0
    os.fstat(host)  # idle, ready for the next open
    again = t.fds.install(ops.open_at(t, AT_FDCWD, b"/etc/hosts", O_RDONLY, 0))
    assert t.fds.get(again).host_fd == host
    assert call(t, sys_file.sys_close, again) == 0
    for name in (b"/etc/passwd", b"/etc/sub/deep"):  # two more idle files: over the cap
        call(t, sys_file.sys_close, t.fds.install(ops.open_at(t, AT_FDCWD, name, O_RDONLY, 0)))
    with pytest.raises(OSError):
        os.fstat(host)


def test_host_file_in_use_keeps_its_fd_when_evicted_from_the_idle_list(t, host_tree,
                                                                       monkeypatch):
    # An open file's inode may stay on the idle list; pushed off it while in use, its fd
    # stays open, and its last close lists it again (at most the cap of unused fds open).
    monkeypatch.setattr(hostfs, "MAX_IDLE_FILE_FDS", 1)
    fs = ops.lookup(t, AT_FDCWD, b"/etc/hosts").dentry.inode.lower.fs

    def open_(path: bytes) -> int:
        return t.fds.install(ops.open_at(t, AT_FDCWD, path, O_RDONLY, 0))

    call(t, sys_file.sys_close, open_(b"/etc/hosts"))
    a = open_(b"/etc/hosts")  # listed, in use
    host = t.fds.get(a).host_fd
    call(t, sys_file.sys_close, open_(b"/etc/passwd"))
    os.fstat(host)  # evicted in use: still open
    assert call(t, sys_file.sys_close, a) == 0
    assert [i.name for i in fs.idle_files] == [b"hosts"]  # listed again; passwd closed
    os.fstat(host)


def test_blocking_write_to_a_full_pipe_writes_everything(t):
    r, w = os.pipe()
    try:
        fd = t.fds.install(HostStreamFile(os.dup(w), O_WRONLY))
        size = 200_000  # more than the pipe holds
        buf = t.buf(size)
        t.mem.write(buf, b"z" * size)
        coro = sys_read_write.sys_write(t, Args([fd, buf, size, 0, 0, 0]))
        got = b""
        park = coro.send(None)
        while True:
            assert park.source == t.fds.get(fd).host_fd
            got += os.read(r, 1 << 20)
            try:
                park = coro.send(None)
            except StopIteration as done:
                assert done.value == size
                break
        while len(got) < size:
            got += os.read(r, 1 << 20)
        assert got == b"z" * size
        t.fds.get(fd).flags |= O_NONBLOCK  # non-blocking: a short count, then EAGAIN
        n = call(t, sys_read_write.sys_write, fd, buf, size)
        assert 0 < n < size
        assert call(t, sys_read_write.sys_write, fd, buf, size) is EAGAIN
    finally:
        os.close(r)
        os.close(w)

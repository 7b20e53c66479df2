"""inotify in-process: events from VFS operations, merging, IN_ONESHOT, overflow, epoll."""

from __future__ import annotations

import struct
from typing import Any

from sentry.abi.errno import EAGAIN, EINVAL
from sentry.syscalls import sys_file, sys_inotify, sys_read_write
from sentry.vfs import fsnotify
from sentry.vfs.constants import AT_FDCWD, O_CREAT, O_NONBLOCK, O_RDWR
from sentry.vfs.fsimpl.inotify import MAX_QUEUED_EVENTS, InotifyFile
from tests.unit.vfs.conftest import call


def _events(t: Any, fd: int) -> list[tuple[int, int, int, bytes]]:
    buf = t.buf(65536)
    n = call(t, sys_read_write.sys_read, fd, buf, 65536)
    if n is EAGAIN:
        return []
    data, out, i = t.mem.read(buf, n), [], 0
    while i < len(data):
        wd, mask, cookie, ln = struct.unpack_from("<iIII", data, i)
        out.append((wd, mask, cookie, data[i + 16:i + 16 + ln].rstrip(b"\0")))
        i += 16 + ln
    return out


def test_events_follow_operations(t: Any) -> None:
    ifd = call(t, sys_inotify.sys_inotify_init1, O_NONBLOCK)
    wd = call(t, sys_inotify.sys_inotify_add_watch, ifd, t.put(b"/tmp"), 0xFFF)
    assert wd == 1 and fsnotify.active >= 1
    fd = call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/tmp/a"), O_CREAT | O_RDWR, 0o600)
    for _ in range(3):
        call(t, sys_read_write.sys_write, fd, t.put(b"xy"), 2)
    call(t, sys_file.sys_close, fd)
    assert [(m, n) for _, m, _, n in _events(t, ifd)] == [
        (fsnotify.IN_CREATE, b"a"), (fsnotify.IN_OPEN, b"a"), (fsnotify.IN_MODIFY, b"a"),
        (fsnotify.IN_CLOSE_WRITE, b"a")]
    call(t, sys_file.sys_renameat, AT_FDCWD, t.put(b"/tmp/a"), AT_FDCWD, t.put(b"/tmp/b"))
    (_, m1, c1, n1), (_, m2, c2, n2) = _events(t, ifd)
    assert (m1, n1, m2, n2) == (fsnotify.IN_MOVED_FROM, b"a", fsnotify.IN_MOVED_TO, b"b")
    assert c1 == c2 != 0
    call(t, sys_file.sys_mkdir, t.put(b"/tmp/d"), 0o755)
    call(t, sys_file.sys_rmdir, t.put(b"/tmp/d"))
    assert [m for _, m, _, _ in _events(t, ifd)] == [
        fsnotify.IN_CREATE | fsnotify.IN_ISDIR, fsnotify.IN_DELETE | fsnotify.IN_ISDIR]
    assert call(t, sys_inotify.sys_inotify_rm_watch, ifd, wd) == 0
    assert _events(t, ifd) == [(wd, fsnotify.IN_IGNORED, 0, b"")]
    assert call(t, sys_inotify.sys_inotify_rm_watch, ifd, wd) is EINVAL
    call(t, sys_file.sys_close, ifd)
    assert not t.fs.root.mount.vfs.watches.by_key


def test_hard_links_share_watches_and_unlink_ends_them(t: Any) -> None:
    ifd = call(t, sys_inotify.sys_inotify_init1, O_NONBLOCK)
    fd = call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/tmp/f"), O_CREAT | O_RDWR, 0o600)
    call(t, sys_file.sys_close, fd)
    call(t, sys_file.sys_link, t.put(b"/tmp/f"), t.put(b"/tmp/g"))
    wd = call(t, sys_inotify.sys_inotify_add_watch, ifd, t.put(b"/tmp/g"), 0xFFF)
    call(t, sys_file.sys_unlink, t.put(b"/tmp/f"))
    assert [m for _, m, _, _ in _events(t, ifd)] == [fsnotify.IN_ATTRIB]
    call(t, sys_file.sys_unlink, t.put(b"/tmp/g"))
    assert _events(t, ifd) == [(wd, fsnotify.IN_ATTRIB, 0, b""),
                               (wd, fsnotify.IN_DELETE_SELF, 0, b""),
                               (wd, fsnotify.IN_IGNORED, 0, b"")]


def test_queue_overflow_and_readiness() -> None:
    f = InotifyFile(0)
    assert f.poll_events() == 0
    w = fsnotify.Watch(1, 0xFFF, (0, 0), f)
    for i in range(MAX_QUEUED_EVENTS + 5):
        f.deliver(w, fsnotify.IN_MODIFY, 0, b"%d" % i)
    assert len(f.events) == MAX_QUEUED_EVENTS + 1
    assert f.events[-1] == (-1, fsnotify.IN_Q_OVERFLOW, 0, b"")
    assert f.poll_events() & 1


def test_watch_on_a_lower_file_survives_copy_up(t: Any) -> None:
    ifd = call(t, sys_inotify.sys_inotify_init1, O_NONBLOCK)
    wd = call(t, sys_inotify.sys_inotify_add_watch, ifd, t.put(b"/etc/passwd"), 0xFFF)
    fd = call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/etc/passwd"), O_RDWR, 0)
    call(t, sys_read_write.sys_write, fd, t.put(b"x"), 1)
    call(t, sys_file.sys_close, fd)
    assert [(w, m) for w, m, _, _ in _events(t, ifd)] == [
        (wd, fsnotify.IN_OPEN), (wd, fsnotify.IN_MODIFY), (wd, fsnotify.IN_CLOSE_WRITE)]

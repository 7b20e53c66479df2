"""RENAME_EXCHANGE on the overlay (lower files copied up, the host untouched) and tmpfs,
and splice/tee between pipes and files, in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sentry.abi.errno import EAGAIN, EINVAL, ENOENT, EXDEV
from sentry.syscalls import sys_file, sys_pipe, sys_read_write, sys_splice
from sentry.vfs.constants import AT_FDCWD, O_CREAT, O_RDONLY, O_RDWR, RENAME_EXCHANGE
from tests.unit.vfs.conftest import call


def _cat(t: Any, path: bytes) -> bytes:
    fd = call(t, sys_file.sys_openat, AT_FDCWD, t.put(path), O_RDONLY, 0)
    buf = t.buf(4096)
    n = call(t, sys_read_write.sys_read, fd, buf, 4096)
    call(t, sys_file.sys_close, fd)
    return t.mem.read(buf, n)


def _xchg(t: Any, a: bytes, b: bytes) -> Any:
    return call(t, sys_file.sys_renameat2, AT_FDCWD, t.put(a), AT_FDCWD, t.put(b),
                RENAME_EXCHANGE)


def test_exchange_lower_files_stays_in_the_sandbox(t: Any, host_tree: Path) -> None:
    assert _xchg(t, b"/etc/passwd", b"/etc/hosts") == 0
    assert _cat(t, b"/etc/passwd") == b"127.0.0.1 localhost\n"
    assert _cat(t, b"/etc/hosts").startswith(b"root:")
    assert (host_tree / "etc" / "passwd").read_bytes().startswith(b"root:")
    assert _xchg(t, b"/etc/passwd", b"/etc/missing") is ENOENT
    assert _xchg(t, b"/etc/passwd", b"/etc/sub") is EXDEV  # a lower directory
    assert _xchg(t, b"/etc", b"/etc/sub") is EINVAL


def test_exchange_file_and_dir_on_tmpfs(t: Any) -> None:
    call(t, sys_file.sys_mkdir, t.put(b"/tmp/d"), 0o755)
    fd = call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/tmp/d/in"), O_CREAT | O_RDWR, 0o600)
    call(t, sys_file.sys_close, fd)
    fd = call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/tmp/f"), O_CREAT | O_RDWR, 0o600)
    call(t, sys_read_write.sys_write, fd, t.put(b"file"), 4)
    assert _xchg(t, b"/tmp/f", b"/tmp/d") == 0
    assert _cat(t, b"/tmp/d") == b"file"
    assert _cat(t, b"/tmp/f/in") == b""


def test_splice_and_tee(t: Any) -> None:
    fds = t.buf(8)
    call(t, sys_pipe.sys_pipe2, fds, 0)
    r, w = t.mem.read_i32(fds), t.mem.read_i32(fds + 4)
    call(t, sys_pipe.sys_pipe2, fds, 0)
    r2, w2 = t.mem.read_i32(fds), t.mem.read_i32(fds + 4)
    fd = call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/tmp/s"), O_CREAT | O_RDWR, 0o600)
    call(t, sys_read_write.sys_write, fd, t.put(b"hello world"), 11)
    off = t.put(b"\x06" + bytes(7))
    assert call(t, sys_splice.sys_splice, fd, off, w, 0, 100, 0) == 5
    assert t.mem.read_u64(off) == 11
    assert call(t, sys_splice.sys_tee, r, w2, 100, 0) == 5
    assert call(t, sys_splice.sys_splice, r, 0, w2, 0, 100, 0) == 5
    buf = t.buf(64)
    assert call(t, sys_read_write.sys_read, r2, buf, 64) == 10
    assert t.mem.read(buf, 10) == b"worldworld"
    assert call(t, sys_splice.sys_splice, r, 0, fd, 0, 10, 2) is EAGAIN

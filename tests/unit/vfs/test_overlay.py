"""overlay over hostfs: copy-up, whiteouts, opaque dirs, rename, merged getdents; the
host tree is never modified."""

from __future__ import annotations

import os

import pytest

from sentry.abi.errno import ENOENT, ENOTEMPTY, EROFS, EXDEV
from sentry.syscalls import sys_file
from sentry.vfs import ops
from sentry.vfs.constants import AT_FDCWD, O_APPEND, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY
from sentry.vfs.fsimpl.host import HostFS
from sentry.vfs.fsimpl.overlay import OverlayFS
from sentry.vfs.fsimpl.rootfs import build_do_root
from sentry.vfs.vfs import VFS
from tests.unit.vfs.conftest import call, make_task


def names(t, path: bytes) -> set[bytes]:
    f = ops.open_at(t, AT_FDCWD, path, O_RDONLY, 0)
    out, data = set(), f.getdents(t, 1 << 16)
    off = 0
    while off < len(data):
        reclen = int.from_bytes(data[off + 16:off + 18], "little")
        out.add(data[off + 19:off + reclen].rstrip(b"\0"))
        off += reclen
    return out - {b".", b".."}


def write(t, path: bytes, data: bytes, flags: int = O_WRONLY | O_CREAT | O_TRUNC) -> None:
    f = ops.open_at(t, AT_FDCWD, path, flags, 0o644)
    assert f.write(data) == len(data)


def read(t, path: bytes) -> bytes:
    return ops.open_at(t, AT_FDCWD, path, O_RDONLY, 0).read(1 << 20)


def test_write_copies_up_and_host_is_untouched(t, host_tree):
    before = (host_tree / "etc" / "passwd").read_bytes()
    ino = ops.stat_at(t, AT_FDCWD, b"/etc/passwd", True).ino
    write(t, b"/etc/passwd", b"x\n", O_WRONLY | O_APPEND)
    assert read(t, b"/etc/passwd") == before + b"x\n"
    assert (host_tree / "etc" / "passwd").read_bytes() == before
    assert ops.stat_at(t, AT_FDCWD, b"/etc/passwd", True).ino == ino  # origin ino kept
    write(t, b"/etc/x", b"new\n")
    assert read(t, b"/etc/x") == b"new\n"
    assert not (host_tree / "etc" / "x").exists()


def test_o_trunc_and_chmod_copy_up(t, host_tree):
    write(t, b"/etc/hosts", b"")
    assert read(t, b"/etc/hosts") == b""
    vd = ops.lookup(t, AT_FDCWD, b"/etc/sub/deep")
    ops.chmod_vd(t, vd, 0o600)
    assert ops.stat_at(t, AT_FDCWD, b"/etc/sub/deep", True).mode == 0o100600
    assert read(t, b"/etc/sub/deep") == b"deep\n"
    assert os.stat(host_tree / "etc" / "sub" / "deep").st_mode & 0o777 != 0o600
    assert (host_tree / "etc" / "hosts").read_bytes() != b""


def test_unlink_leaves_a_whiteout(t, host_tree):
    assert b"hosts" in names(t, b"/etc")
    assert call(t, sys_file.sys_unlink, t.put(b"/etc/hosts")) == 0
    assert b"hosts" not in names(t, b"/etc")
    assert call(t, sys_file.sys_open, t.put(b"/etc/hosts"), O_RDONLY, 0) is ENOENT
    assert (host_tree / "etc" / "hosts").exists()
    write(t, b"/etc/hosts", b"again\n")  # recreate over the whiteout
    assert read(t, b"/etc/hosts") == b"again\n"


def test_rmdir_and_opaque_recreate(t, host_tree):
    assert call(t, sys_file.sys_rmdir, t.put(b"/etc/sub")) is ENOTEMPTY
    assert call(t, sys_file.sys_unlink, t.put(b"/etc/sub/deep")) == 0
    assert names(t, b"/etc/sub") == set()
    assert call(t, sys_file.sys_rmdir, t.put(b"/etc/sub")) == 0
    assert b"sub" not in names(t, b"/etc")
    assert call(t, sys_file.sys_mkdir, t.put(b"/etc/sub"), 0o755) == 0
    assert names(t, b"/etc/sub") == set()  # opaque: the lower's files stay hidden
    assert (host_tree / "etc" / "sub" / "deep").exists()


def test_rename_file_and_lower_dir(t, host_tree):
    assert call(t, sys_file.sys_rename, t.put(b"/etc/passwd"), t.put(b"/tmp/pw")) == 0
    assert read(t, b"/tmp/pw").startswith(b"root:")
    assert b"passwd" not in names(t, b"/etc")
    assert b"pw" in names(t, b"/tmp")
    assert call(t, sys_file.sys_rename, t.put(b"/etc/sub"), t.put(b"/tmp/sub")) is EXDEV
    assert call(t, sys_file.sys_mkdir, t.put(b"/tmp/d"), 0o755) == 0
    write(t, b"/tmp/d/f", b"1")
    assert call(t, sys_file.sys_rename, t.put(b"/tmp/d"), t.put(b"/etc/d2")) == 0
    assert read(t, b"/etc/d2/f") == b"1"
    assert (host_tree / "etc" / "passwd").exists()


def test_merged_getdents(t):
    write(t, b"/etc/new", b"")
    assert names(t, b"/etc") == {b"passwd", b"hosts", b"sub", b"up_link", b"new"}


def test_hostfs_alone_is_read_only(host_tree, t):
    fs = HostFS(str(host_tree))
    vfs = VFS(fs, fs.root)
    t.fs.root = t.fs.cwd = vfs.root()
    assert read(t, b"/etc/passwd").startswith(b"root:")
    assert call(t, sys_file.sys_open, t.put(b"/etc/passwd"), O_RDWR, 0) is EROFS
    assert call(t, sys_file.sys_mkdir, t.put(b"/etc/d"), 0o755) is EROFS


def test_overlay_over_tmpfs_lower(t):
    from sentry.vfs.fsimpl.tmpfs import TmpfsFS

    low = TmpfsFS()
    lr = low.root(0o755)
    f = lr.create(t, b"a", 0o100644)
    os.pwrite(f.memfd, b"lower", 0)
    ov = OverlayFS(lr)
    vfs = VFS(ov, ov.root)
    t.fs.root = t.fs.cwd = vfs.root()
    write(t, b"/a", b"upper")
    assert read(t, b"/a") == b"upper"
    assert os.pread(f.memfd, 10, 0) == b"lower"


def test_name_made_after_a_failed_lookup_is_found(host_tree):
    """The lower layer remembers names it lacks (exclusive access): what the sandbox makes
    there afterwards (in the upper layer: a file, a directory, a rename's target) is found."""
    t = make_task(build_do_root(str(host_tree), exclusive=True))
    for p in (b"/etc/new", b"/etc/newdir", b"/etc/moved"):
        with pytest.raises(ENOENT):
            ops.stat_at(t, AT_FDCWD, p, True)
    write(t, b"/etc/new", b"n\n")
    ops.mkdir_at(t, AT_FDCWD, b"/etc/newdir", 0o755)
    ops.rename_at(t, AT_FDCWD, b"/etc/passwd", AT_FDCWD, b"/etc/moved", 0)
    assert read(t, b"/etc/new") == b"n\n"
    assert ops.stat_at(t, AT_FDCWD, b"/etc/newdir", True).mode & 0o170000 == 0o040000
    assert read(t, b"/etc/moved") == (host_tree / "etc" / "passwd").read_bytes()
    with pytest.raises(ENOENT):
        ops.stat_at(t, AT_FDCWD, b"/etc/passwd", True)

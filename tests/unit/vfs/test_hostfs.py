"""hostfs: passthrough attributes, bounded directory fds, stale directories, xattrs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sentry.abi.errno import ENOENT, SysError
from sentry.abi.stat import pack_stat
from sentry.vfs import ops
from sentry.vfs.constants import AT_FDCWD, O_RDONLY
from sentry.vfs.fsimpl.host import HostFS
from sentry.vfs.fsimpl.rootfs import controlling_tty, stdio_files
from sentry.vfs.vfs import VFS


def host_root(t, path: Path, max_dir_fds: int = 2048, exclusive: bool = False) -> HostFS:
    fs = HostFS(str(path), max_dir_fds, exclusive=exclusive)
    vfs = VFS(fs, fs.root)
    t.fs.root = t.fs.cwd = vfs.root()
    return fs


def test_stat_passes_host_values_through(t, host_tree):
    host_root(t, host_tree)
    for p in (b"/etc/passwd", b"/etc", b"/abs_link", b"/"):
        st = ops.stat_at(t, AT_FDCWD, p, False)
        hs = os.lstat(os.fsencode(host_tree) + p)
        assert (st.dev, st.ino, st.mode, st.nlink, st.size, st.mtime_ns, st.uid) == (
            hs.st_dev, hs.st_ino, hs.st_mode, hs.st_nlink, hs.st_size, hs.st_mtime_ns, hs.st_uid)


def test_stat_bytes_are_the_packed_stat(t, host_tree):
    """The raw struct stat path (stat, lstat, newfstatat) says what pack_stat(stat()) says."""
    host_root(t, host_tree)
    for p in (b"/etc/passwd", b"/etc", b"/abs_link", b"/", b"/etc/sub/deep"):
        for follow in (True, False):
            try:
                want = pack_stat(ops.stat_at(t, AT_FDCWD, p, follow))
            except SysError as e:
                with pytest.raises(type(e)):
                    ops.stat_bytes_at(t, AT_FDCWD, p, follow)
                continue
            assert ops.stat_bytes_at(t, AT_FDCWD, p, follow) == want, (p, follow)


@pytest.mark.parametrize("exclusive", [False, True])
def test_attributes_cached_only_with_exclusive_access(t, tmp_path, exclusive):
    """--file-access=exclusive (the root filesystem's default, as gVisor's): attributes come
    from the host once; shared (bind mounts, or the flag): every stat asks the host."""
    f = tmp_path / "f"
    f.write_bytes(b"abc")
    host_root(t, tmp_path, exclusive=exclusive)
    first = ops.stat_at(t, AT_FDCWD, b"/f", True)
    raw = ops.stat_bytes_at(t, AT_FDCWD, b"/f", True)
    assert (first.size, raw) == (3, pack_stat(first))
    f.write_bytes(b"abcdef")  # a change behind the sandbox's back
    want = 3 if exclusive else 6
    assert ops.stat_at(t, AT_FDCWD, b"/f", True).size == want
    assert ops.stat_bytes_at(t, AT_FDCWD, b"/f", True)[48:56] == want.to_bytes(8, "little")
    # Reading still goes to the host file (the cache is of attributes only).
    assert ops.open_at(t, AT_FDCWD, b"/f", O_RDONLY, 0).read(16) == b"abcdef"


def test_directory_fds_are_bounded_and_reopened(t, tmp_path):
    deep = tmp_path / "d"
    p = deep
    for i in range(30):
        p = p / f"{i}"
    p.mkdir(parents=True)
    (p / "leaf").write_bytes(b"x")
    fs = host_root(t, deep, max_dir_fds=4)
    before = len(os.listdir("/proc/self/fd"))
    rel = b"/" + b"/".join(b"%d" % i for i in range(30)) + b"/leaf"
    assert ops.open_at(t, AT_FDCWD, rel, O_RDONLY, 0).read(1) == b"x"
    assert len(fs.open_dirs) <= 4
    assert len(os.listdir("/proc/self/fd")) - before <= 6
    # Every cached directory can still be used: fds come back from the parents.
    assert ops.stat_at(t, AT_FDCWD, b"/0/1/2", True).mode & 0o170000 == 0o040000
    assert ops.open_at(t, AT_FDCWD, rel, O_RDONLY, 0).read(1) == b"x"


def test_replaced_host_directory_is_stale_not_followed(t, tmp_path):
    (tmp_path / "r" / "a" / "b").mkdir(parents=True)
    host_root(t, tmp_path / "r", max_dir_fds=1)
    ops.stat_at(t, AT_FDCWD, b"/a/b", True)
    ops.stat_at(t, AT_FDCWD, b"/", True)  # evicts /a's and /a/b's fds
    os.rename(tmp_path / "r" / "a", tmp_path / "r" / "old")
    (tmp_path / "r" / "a" / "b").mkdir(parents=True)
    with pytest.raises(ENOENT):
        ops.stat_at(t, AT_FDCWD, b"/a/b/.", True)


def test_host_xattrs_are_read(t, host_tree):
    p = host_tree / "etc" / "hosts"
    try:
        os.setxattr(p, "user.k", b"v")
    except OSError:
        pytest.skip("no user xattrs on this filesystem")
    vd = ops.lookup(t, AT_FDCWD, b"/etc/hosts")
    assert vd.dentry.inode.listxattr() == [b"user.k"]
    assert vd.dentry.inode.getxattr(b"user.k") == b"v"


def test_stdio_files_dup_and_tty_detection():
    r, w = os.pipe()
    try:
        files = stdio_files((r, w))
        assert [f.host_fd != fd for f, fd in zip(files, (r, w), strict=True)] == [True, True]
        assert files[0].readable and not files[0].writable
        assert files[1].writable and files[0].guest_path().startswith(b"pipe:[")
        assert controlling_tty(files) is None
        for f in files:
            f.release()
    finally:
        os.close(r)
        os.close(w)


@pytest.mark.parametrize("exclusive", [False, True])
def test_missing_names_remembered_only_with_exclusive_access(t, tmp_path, exclusive):
    """With exclusive access a name the host lacked is not asked for again (nothing but
    the sandbox changes the tree, and this read-only fs never does); shared asks again."""
    fs = host_root(t, tmp_path, exclusive=exclusive)
    with pytest.raises(ENOENT):
        ops.stat_at(t, AT_FDCWD, b"/late", True)
    assert fs.root.absent == ({b"late"} if exclusive else None)
    (tmp_path / "late").write_bytes(b"x")  # a change behind the sandbox's back
    if exclusive:
        with pytest.raises(ENOENT):
            ops.stat_at(t, AT_FDCWD, b"/late", True)
    else:
        assert ops.stat_at(t, AT_FDCWD, b"/late", True).size == 1

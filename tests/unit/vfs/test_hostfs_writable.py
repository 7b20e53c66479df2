"""Writable hostfs (rw bind mounts): the workload's changes reach the host directory
through held fds, a symlink in the bind is never followed on the host, and the rootfs
under its memory layer is still never written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sentry.abi.errno import EEXIST, ENOTEMPTY, EROFS
from sentry.kernel.creds import Credentials
from sentry.vfs import ops
from sentry.vfs.constants import (
    AT_FDCWD, MS_RDONLY, O_APPEND, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
    RENAME_EXCHANGE, RENAME_NOREPLACE,
)
from sentry.vfs.fsimpl.container_root import MountSpec, build_container_root

from tests.unit.vfs.conftest import make_task

RW = O_RDWR | O_CREAT


@pytest.fixture
def bound(tmp_path: Path):
    rootfs, vol, outside = tmp_path / "rootfs", tmp_path / "vol", tmp_path / "outside"
    for d in (rootfs / "etc", vol, outside):
        d.mkdir(parents=True)
    (rootfs / "etc" / "motd").write_bytes(b"lower\n")
    (vol / "old").write_bytes(b"old\n")
    sr = build_container_root(str(rootfs), False, [
        MountSpec("/vol", "bind", str(vol), ["rbind", "rw"]),
        MountSpec("/ro", "bind", str(vol), ["rbind", "ro"]),
    ])
    return make_task(sr, Credentials()), rootfs, vol, outside


def write(t, path: bytes, data: bytes, flags: int = O_WRONLY | O_CREAT | O_TRUNC) -> None:
    f = ops.open_at(t, AT_FDCWD, path, flags, 0o640)
    assert f.write(data) == len(data)
    f.decref()


def test_create_append_rename_unlink_reach_the_host(bound):
    t, _, vol, _ = bound
    write(t, b"/vol/a", b"one\n")
    write(t, b"/vol/a", b"two\n", O_WRONLY | O_APPEND)
    assert (vol / "a").read_bytes() == b"one\ntwo\n"
    assert stat.S_IMODE((vol / "a").stat().st_mode) == 0o640  # exact: no host umask
    ops.mkdir_at(t, AT_FDCWD, b"/vol/d", 0o750)
    ops.rename_at(t, AT_FDCWD, b"/vol/a", AT_FDCWD, b"/vol/d/b", 0)
    assert not (vol / "a").exists() and (vol / "d" / "b").read_bytes() == b"one\ntwo\n"
    # The moved inode keeps working under its new name (same object in the dentry cache).
    write(t, b"/vol/d/b", b"three\n", O_WRONLY | O_APPEND)
    assert (vol / "d" / "b").read_bytes().endswith(b"three\n")
    ops.unlink_at(t, AT_FDCWD, b"/vol/old")
    assert not (vol / "old").exists()
    with pytest.raises(ENOTEMPTY):
        ops.rmdir_at(t, AT_FDCWD, b"/vol/d")
    ops.unlink_at(t, AT_FDCWD, b"/vol/d/b")
    ops.rmdir_at(t, AT_FDCWD, b"/vol/d")
    assert os.listdir(vol) == []


def test_links_attributes_truncate_and_rename_flags(bound):
    t, _, vol, _ = bound
    write(t, b"/vol/f", b"0123456789")
    ops.link_at(t, AT_FDCWD, b"/vol/f", AT_FDCWD, b"/vol/h", False, 0)
    assert os.stat(vol / "h").st_ino == os.stat(vol / "f").st_ino
    ops.symlink_at(t, b"f", AT_FDCWD, b"/vol/s")
    assert os.readlink(vol / "s") == "f"
    vd = ops.lookup(t, AT_FDCWD, b"/vol/f", True)
    ops.chmod_vd(t, vd, 0o604)
    ops.truncate_vd(t, vd, 4)
    ops.utimes_vd(t, vd, ((5, 0), (7, 0)))
    hs = os.stat(vol / "f")
    assert (stat.S_IMODE(hs.st_mode), hs.st_size, hs.st_atime_ns, hs.st_mtime_ns) == (
        0o604, 4, 5 * 10**9, 7 * 10**9)
    assert ops.stat_at(t, AT_FDCWD, b"/vol/f", True).size == 4
    write(t, b"/vol/g", b"g")
    with pytest.raises(EEXIST):
        ops.rename_at(t, AT_FDCWD, b"/vol/g", AT_FDCWD, b"/vol/f", RENAME_NOREPLACE)
    ops.rename_at(t, AT_FDCWD, b"/vol/g", AT_FDCWD, b"/vol/f", RENAME_EXCHANGE)
    assert (vol / "f").read_bytes() == b"g" and (vol / "g").read_bytes() == b"0123"
    f = ops.open_at(t, AT_FDCWD, b"/vol/g", O_RDONLY, 0)
    assert f.read(10) == b"0123"


def test_ro_bind_and_rootfs_are_never_written(bound):
    t, rootfs, vol, _ = bound
    with pytest.raises(EROFS):
        write(t, b"/ro/x", b"x")
    assert ops.lookup(t, AT_FDCWD, b"/ro", True).mount.flags & MS_RDONLY
    write(t, b"/etc/motd", b"upper\n")
    write(t, b"/new", b"n")
    assert (rootfs / "etc" / "motd").read_bytes() == b"lower\n"
    assert not (rootfs / "new").exists()
    f = ops.open_at(t, AT_FDCWD, b"/etc/motd", O_RDONLY, 0)
    assert f.read(10) == b"upper\n"


def test_symlink_in_bind_is_resolved_inside_the_sandbox(bound, tmp_path):
    t, rootfs, vol, outside = bound
    # Planted on the host: relative escapes and an absolute one.
    os.symlink("../../../../../../outside", vol / "up")
    os.symlink(str(outside), vol / "abs")
    os.symlink("/etc", vol / "etc")
    for link in (b"/vol/up/pwned", b"/vol/abs/pwned"):
        try:
            write(t, link, b"x")
        except Exception:
            pass  # ENOENT in the sandbox's view: fine
    write(t, b"/vol/etc/pwned", b"x")  # the sandbox's /etc: the rootfs's memory layer
    assert os.listdir(outside) == []
    assert not (rootfs / "etc" / "pwned").exists()
    assert not Path("/etc/pwned").exists()
    assert ops.open_at(t, AT_FDCWD, b"/etc/pwned", O_RDONLY, 0).read(5) == b"x"
    # A symlink made by the workload is stored on the host, never followed by the Sentry.
    ops.symlink_at(t, b"/", AT_FDCWD, b"/vol/root")
    write(t, b"/vol/root/pwned2", b"y")
    assert not (tmp_path / "pwned2").exists() and not Path("/pwned2").exists()


def test_new_files_take_the_callers_owner(bound):
    t, _, vol, _ = bound
    if os.geteuid() != 0:
        pytest.skip("needs root to chown on the host")
    os.chmod(vol, 0o777)
    t.creds = Credentials(1234, 4321, 1234, 4321, 1234, 4321, 1234, 4321, [])
    write(t, b"/vol/mine", b"m")
    ops.mkdir_at(t, AT_FDCWD, b"/vol/dir", 0o700)
    for p in ("mine", "dir"):
        hs = os.stat(vol / p)
        assert (hs.st_uid, hs.st_gid) == (1234, 4321)
    assert os.stat(vol / "dir").st_mode & 0o777 == 0o700


def test_open_unlinked_file_keeps_its_data_and_attributes(bound):
    t, _, vol, _ = bound
    write(t, b"/vol/tmp", b"abc")
    f = ops.open_at(t, AT_FDCWD, b"/vol/tmp", O_RDWR, 0)
    ops.unlink_at(t, AT_FDCWD, b"/vol/tmp")
    write(t, b"/vol/tmp", b"a different file")  # same name, another host file
    assert f.write(b"XY") == 2 and f.pread(10, 0) == b"XYc"
    st = f.stat()
    assert (st.size, st.nlink) == (3, 0)
    assert ops.stat_at(t, AT_FDCWD, b"/vol/tmp", True).size == 16
    f.decref()


def test_unlinked_file_is_not_kept_open_on_the_host(bound):
    t, _, vol, _ = bound
    write(t, b"/vol/big", b"x" * 4096)
    ino = os.stat(vol / "big").st_ino
    ops.unlink_at(t, AT_FDCWD, b"/vol/big")
    held = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            st = os.stat(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        held.append(st.st_ino == ino and st.st_nlink == 0)
    assert not any(held)


def test_shared_mapping_and_fallocate_reach_the_host(bound):
    import mmap

    from sentry.vfs.constants import MAP_SHARED, PROT_READ, PROT_WRITE

    t, _, vol, _ = bound
    write(t, b"/vol/m", b"hello")
    f = ops.open_at(t, AT_FDCWD, b"/vol/m", O_RDWR, 0)
    fd = f.mmap_fd(PROT_READ | PROT_WRITE, MAP_SHARED)
    with mmap.mmap(fd, 5, mmap.MAP_SHARED) as m:
        m[:1] = b"J"
    assert (vol / "m").read_bytes() == b"Jello"
    f.allocate(0, 0, 8192)
    assert os.stat(vol / "m").st_size == 8192
    f.decref()

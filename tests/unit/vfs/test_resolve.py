"""Path walk: Linux's errno cases, symlinks, '..', trailing slashes, escapes."""

from __future__ import annotations

import pytest

from sentry.abi.errno import (
    EACCES, EEXIST, EISDIR, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR,
)
from sentry.abi.stat import unpack_stat
from sentry.syscalls import sys_file, sys_stat
from sentry.vfs import ops
from sentry.vfs.constants import (
    AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW,
    O_PATH, O_RDONLY, O_RDWR, O_WRONLY,
)
from tests.unit.vfs.conftest import call, make_task, user


def stat(t, path: bytes, flags: int = 0):
    buf = t.buf(144)
    r = call(t, sys_stat.sys_newfstatat, AT_FDCWD, t.put(path), buf, flags)
    return r if r != 0 else unpack_stat(t.mem.read(buf, 144))


def read_all(t, path: bytes) -> bytes:
    f = ops.open_at(t, AT_FDCWD, path, O_RDONLY, 0)
    return f.read(1 << 16)


def test_plain_lookup_and_errors(t):
    assert read_all(t, b"/etc/passwd").startswith(b"root:")
    assert stat(t, b"/etc/nope") is ENOENT
    assert stat(t, b"/etc/passwd/x") is ENOTDIR
    assert stat(t, b"/etc/passwd/") is ENOTDIR
    assert stat(t, b"/etc/passwd/.") is ENOTDIR
    assert stat(t, b"") is ENOENT
    assert stat(t, b"/" + b"a" * 256) is ENAMETOOLONG
    assert stat(t, b"/" + b"a" * 255) is ENOENT


def test_dotdot_stops_at_root_and_crosses_mounts(t):
    assert read_all(t, b"/../../../etc/passwd").startswith(b"root:")
    assert read_all(t, b"/proc/../etc/hosts").startswith(b"127.0.0.1")
    assert read_all(t, b"/etc/sub/../../etc/./hosts").startswith(b"127.0.0.1")


def test_symlinks_stay_inside_the_root(t):
    # Absolute target: resolved against the sandbox root, not the host's.
    assert read_all(t, b"/abs_link").startswith(b"root:")
    # '..' beyond the root in a target stops at the root.
    assert read_all(t, b"/etc/up_link").startswith(b"127.0.0.1")
    # A link to a host path outside the tree finds nothing (the path is ours, not the host's).
    assert stat(t, b"/escape/outside") is ENOENT
    assert stat(t, b"/rel_dir_link/passwd").size > 0


def test_symlink_to_proc_self_root_stays_inside(t):
    ops.symlink_at(t, b"/proc/self/root/../../../etc/passwd", AT_FDCWD, b"/tmp/l")
    assert read_all(t, b"/tmp/l").startswith(b"root:")


def test_eloop_and_nofollow(t):
    assert stat(t, b"/loop1") is ELOOP
    assert stat(t, b"/loop1", AT_SYMLINK_NOFOLLOW).mode & 0o170000 == 0o120000
    assert call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/abs_link"), O_NOFOLLOW, 0) is ELOOP
    fd = call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/abs_link"), O_NOFOLLOW | O_PATH, 0)
    assert fd >= 0
    assert stat(t, b"/dangling") is ENOENT


def test_forty_links_allowed_forty_one_not(t):
    for i in range(41):
        ops.symlink_at(t, b"c%d" % (i + 1) if i < 40 else b"/etc/hosts", AT_FDCWD, b"/tmp/c%d" % i)
    # /tmp/c1 -> ... -> c40 -> /etc/hosts: 40 links.
    assert stat(t, b"/tmp/c1").size > 0
    assert stat(t, b"/tmp/c0") is ELOOP


def test_trailing_slash_follows_symlink_to_dir(t):
    assert stat(t, b"/rel_dir_link/", AT_SYMLINK_NOFOLLOW).mode & 0o170000 == 0o040000
    assert stat(t, b"/rel_dir_link", AT_SYMLINK_NOFOLLOW).mode & 0o170000 == 0o120000


def test_o_directory_and_creat_rules(t):
    assert call(t, sys_file.sys_open, t.put(b"/etc/passwd"), O_DIRECTORY, 0) is ENOTDIR
    assert call(t, sys_file.sys_open, t.put(b"/etc"), O_WRONLY, 0) is EISDIR
    assert call(t, sys_file.sys_open, t.put(b"/etc/"), O_CREAT | O_WRONLY, 0o644) is EISDIR
    assert call(t, sys_file.sys_open, t.put(b"/etc/passwd"), O_CREAT | O_EXCL, 0o644) is EEXIST
    assert call(t, sys_file.sys_open, t.put(b"/nodir/x"), O_CREAT | O_WRONLY, 0o644) is ENOENT
    # O_CREAT through a dangling symlink creates its target.
    ops.symlink_at(t, b"/tmp/target", AT_FDCWD, b"/tmp/dl")
    assert call(t, sys_file.sys_open, t.put(b"/tmp/dl"), O_CREAT | O_WRONLY, 0o600) >= 0
    assert stat(t, b"/tmp/target").mode == 0o100600
    assert call(t, sys_file.sys_open, t.put(b"/tmp/dl"), O_CREAT | O_EXCL | O_WRONLY, 0) is EEXIST


def test_permissions_for_a_non_root_user(root):
    t = make_task(root, user())
    assert stat(t, b"/secret/key") is EACCES  # no search permission on /secret
    assert call(t, sys_file.sys_open, t.put(b"/etc/passwd"), O_RDWR, 0) is EACCES
    assert call(t, sys_file.sys_open, t.put(b"/etc/new"), O_CREAT | O_WRONLY, 0o644) is EACCES
    assert call(t, sys_file.sys_open, t.put(b"/etc/passwd"), O_RDONLY, 0) >= 0
    fd = call(t, sys_file.sys_open, t.put(b"/tmp/mine"), O_CREAT | O_WRONLY, 0o600)
    assert fd >= 0
    assert stat(t, b"/tmp/mine").uid == 1000


def test_root_bypasses_rw_but_needs_an_x_bit(root, t):
    assert read_all(t, b"/secret/key") == b"k"
    assert call(t, sys_stat.sys_access, t.put(b"/etc/passwd"), 1) is EACCES
    assert call(t, sys_stat.sys_access, t.put(b"/bin/tool"), 1) == 0
    assert call(t, sys_stat.sys_access, t.put(b"/secret/key"), 6) == 0
    f = ops.open_at(t, AT_FDCWD, b"/etc/passwd", O_RDONLY, 0)
    with pytest.raises(EACCES):
        f.check_exec(t.creds)
    ops.open_at(t, AT_FDCWD, b"/bin/tool", O_RDONLY, 0).check_exec(t.creds)


def test_at_fdcwd_dirfd_and_empty_path(t):
    dfd = call(t, sys_file.sys_open, t.put(b"/etc"), O_RDONLY | O_DIRECTORY, 0)
    buf = t.buf(144)
    assert call(t, sys_stat.sys_newfstatat, dfd, t.put(b"hosts"), buf, 0) == 0
    ffd = call(t, sys_file.sys_open, t.put(b"/etc/hosts"), O_RDONLY, 0)
    assert call(t, sys_stat.sys_newfstatat, ffd, t.put(b"x"), buf, 0) is ENOTDIR
    assert call(t, sys_stat.sys_newfstatat, ffd, t.put(b""), buf, 0) is ENOENT
    assert call(t, sys_stat.sys_newfstatat, ffd, t.put(b""), buf, AT_EMPTY_PATH) == 0
    assert unpack_stat(t.mem.read(buf, 144)).size == len(b"127.0.0.1 localhost\n")
    # An absolute path ignores dirfd, even a bad one.
    assert call(t, sys_stat.sys_newfstatat, 999, t.put(b"/etc"), buf, 0) == 0
    assert call(t, sys_file.sys_chdir, t.put(b"/etc/sub")) == 0
    assert stat(t, b"deep").size == 5
    assert stat(t, b"../passwd").size > 0


def test_walk_cache_follows_renames_removals_mode_changes_and_procfs(root):
    """Cached walks (ops.resolve_path) never outlive a change that alters the result."""
    t = make_task(root)
    assert call(t, sys_file.sys_mkdirat, AT_FDCWD, t.put(b"/tmp/d"), 0o755) == 0
    fd = call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/tmp/d/f"), O_CREAT | O_WRONLY, 0o644)
    assert fd >= 0
    assert stat(t, b"/tmp/d/f").mode & 0o777 == 0o644  # now cached
    assert call(t, sys_file.sys_rename, t.put(b"/tmp/d"), t.put(b"/tmp/e")) == 0
    assert stat(t, b"/tmp/d/f") is ENOENT
    assert stat(t, b"/tmp/e/f") != ENOENT
    other = make_task(root, creds=user(1000))
    assert stat(other, b"/tmp/e/f") != ENOENT  # cached for uid 1000 too
    assert call(t, sys_stat.sys_chmod, t.put(b"/tmp/e"), 0o700) == 0
    assert stat(other, b"/tmp/e/f") is EACCES
    assert stat(t, b"/tmp/e/f") != EACCES  # root searches anything
    assert call(t, sys_file.sys_unlinkat, AT_FDCWD, t.put(b"/tmp/e/f"), 0) == 0
    assert stat(t, b"/tmp/e/f") is ENOENT
    # /proc/self names the calling process: never cached across tasks.
    second = make_task(root, vpid=2)
    assert ops.resolve_path(t, AT_FDCWD, b"/proc/self", True).dentry.name == b"1"
    assert ops.resolve_path(second, AT_FDCWD, b"/proc/self", True).dentry.name == b"2"

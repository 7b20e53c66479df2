"""File syscall handlers called directly on a fake Task (no sandbox)."""

from __future__ import annotations

import struct


from sentry.abi.errno import (
    EAGAIN, EBADF, EEXIST, EFAULT, EINVAL, EISDIR, ENODATA, ENOENT, ENOTDIR, ENOTEMPTY, ENOTSUP,
    ENOTTY, EPERM, ERANGE,
)
from sentry.abi.stat import unpack_stat
from sentry.syscalls import sys_file, sys_ioctl, sys_read_write, sys_stat, sys_xattr
from sentry.vfs.constants import (
    AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL,
    F_GETLK, F_SETFD, F_SETFL, F_SETLK, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECTORY,
    O_LARGEFILE, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
)
from tests.unit.vfs.conftest import call, make_task, user


def openf(t, path: bytes, flags: int = O_RDONLY, mode: int = 0o644) -> int:
    return call(t, sys_file.sys_openat, AT_FDCWD, t.put(path), flags, mode)


def read(t, fd: int, n: int = 4096) -> bytes:
    buf = t.buf(n)
    r = call(t, sys_read_write.sys_read, fd, buf, n)
    assert isinstance(r, int), r
    return t.mem.read(buf, r)


def write(t, fd: int, data: bytes) -> int:
    return call(t, sys_read_write.sys_write, fd, t.put(data), len(data))


def test_open_read_write_lseek(t):
    fd = openf(t, b"/etc/x", O_RDWR | O_CREAT | O_TRUNC)
    assert write(t, fd, b"hello world") == 11
    assert call(t, sys_read_write.sys_lseek, fd, 6, 0) == 6
    assert read(t, fd) == b"world"
    assert call(t, sys_read_write.sys_lseek, fd, -1, 0) is EINVAL
    assert call(t, sys_read_write.sys_lseek, fd, 0, 9) is EINVAL
    buf = t.buf(5)
    assert call(t, sys_read_write.sys_pread64, fd, buf, 5, 0) == 5
    assert t.mem.read(buf, 5) == b"hello"
    assert call(t, sys_read_write.sys_pwrite64, fd, t.put(b"J"), 1, 0) == 1
    assert call(t, sys_read_write.sys_pread64, fd, buf, 5, -1) is EINVAL
    assert call(t, sys_file.sys_close, fd) == 0
    fd = openf(t, b"/etc/x", O_RDONLY)
    assert read(t, fd) == b"Jello world"
    assert write(t, fd, b"x") is EBADF
    assert call(t, sys_file.sys_close, fd) == 0
    assert call(t, sys_file.sys_close, fd) is EBADF


def test_append_and_creat(t):
    fd = call(t, sys_file.sys_creat, t.put(b"/tmp/a"), 0o600)
    write(t, fd, b"1")
    fd2 = openf(t, b"/tmp/a", O_WRONLY | O_APPEND)
    call(t, sys_read_write.sys_lseek, fd2, 0, 0)
    write(t, fd2, b"2")
    assert read(t, openf(t, b"/tmp/a")) == b"12"


def test_readv_writev_and_partial_fault(t):
    fd = openf(t, b"/tmp/v", O_RDWR | O_CREAT)
    a, b = t.put(b"abc"), t.put(b"defg")
    iov = t.buf(32)
    t.mem.write(iov, struct.pack("<QQQQ", a, 3, b, 4))
    assert call(t, sys_read_write.sys_writev, fd, iov, 2) == 7
    call(t, sys_read_write.sys_lseek, fd, 0, 0)
    x, y = t.buf(2), t.buf(8)
    t.mem.write(iov, struct.pack("<QQQQ", x, 2, y, 8))
    assert call(t, sys_read_write.sys_readv, fd, iov, 2) == 7
    assert t.mem.read(x, 2) + t.mem.read(y, 5) == b"abcdefg"
    assert call(t, sys_read_write.sys_readv, fd, iov, 1025) is EINVAL
    # A buffer that ends at an unmapped page: bytes moved beat EFAULT, offset follows.
    from tests.unit.vfs.conftest import SCRATCH, SCRATCH_SIZE

    end = SCRATCH + SCRATCH_SIZE
    call(t, sys_read_write.sys_lseek, fd, 0, 0)
    assert call(t, sys_read_write.sys_read, fd, end - 3, 100) == 3
    assert call(t, sys_read_write.sys_lseek, fd, 0, 1) == 3
    assert call(t, sys_read_write.sys_read, fd, 0x10, 10) is EFAULT
    assert call(t, sys_read_write.sys_lseek, fd, 0, 1) == 3
    assert call(t, sys_read_write.sys_write, fd, 0x10, 10) is EFAULT


def test_dup_family_and_fcntl(t):
    fd = openf(t, b"/etc/hosts")
    assert call(t, sys_file.sys_dup, fd) == fd + 1
    assert call(t, sys_file.sys_dup2, fd, 10) == 10
    assert call(t, sys_file.sys_dup2, fd, fd) == fd
    assert call(t, sys_file.sys_dup2, 99, 5) is EBADF
    assert call(t, sys_file.sys_dup3, fd, fd, 0) is EINVAL
    assert call(t, sys_file.sys_dup3, fd, 11, O_CLOEXEC) == 11
    assert call(t, sys_file.sys_fcntl, 11, F_GETFD) == 1
    assert call(t, sys_file.sys_fcntl, 11, F_SETFD, 0) == 0
    assert call(t, sys_file.sys_fcntl, 11, F_GETFD) == 0
    assert call(t, sys_file.sys_fcntl, fd, F_DUPFD, 20) == 20
    assert call(t, sys_file.sys_fcntl, fd, F_DUPFD_CLOEXEC, 20) == 21
    assert call(t, sys_file.sys_fcntl, 21, F_GETFD) == 1
    assert call(t, sys_file.sys_fcntl, fd, F_GETFL) == O_RDONLY | O_LARGEFILE
    assert call(t, sys_file.sys_fcntl, fd, F_SETFL, O_NONBLOCK | O_APPEND | O_RDWR) == 0
    assert call(t, sys_file.sys_fcntl, 10, F_GETFL) == O_NONBLOCK | O_APPEND | O_LARGEFILE
    # Offsets are shared between dups.
    read(t, fd, 3)
    assert call(t, sys_read_write.sys_lseek, 10, 0, 1) == 3
    pfd = openf(t, b"/etc", O_PATH)
    assert call(t, sys_read_write.sys_read, pfd, t.buf(1), 1) is EBADF
    assert call(t, sys_file.sys_fcntl, pfd, F_GETFL) == O_PATH
    assert call(t, sys_file.sys_fcntl, pfd, F_SETFL, 0) is EBADF
    assert call(t, sys_file.sys_close_range, 10, 30, 0) == 0
    assert call(t, sys_file.sys_fcntl, 20, F_GETFD) is EBADF


def test_record_locks(root):
    t1, t2 = make_task(root, vpid=1), make_task(root, vpid=2)
    fd1 = openf(t1, b"/tmp/lk", O_RDWR | O_CREAT)
    fd2 = openf(t2, b"/tmp/lk", O_RDWR)
    fl = struct.Struct("<hh4xqqi4x")
    a1, a2 = t1.buf(32), t2.buf(32)
    t1.mem.write(a1, fl.pack(1, 0, 0, 10, 0))
    assert call(t1, sys_file.sys_fcntl, fd1, F_SETLK, a1) == 0
    t2.mem.write(a2, fl.pack(0, 0, 5, 1, 0))
    assert call(t2, sys_file.sys_fcntl, fd2, F_SETLK, a2) is EAGAIN
    assert call(t2, sys_file.sys_fcntl, fd2, F_GETLK, a2) == 0
    assert fl.unpack(t2.mem.read(a2, 32))[:5] == (1, 0, 0, 10, 1)
    t2.mem.write(a2, fl.pack(0, 0, 10, 1, 0))
    assert call(t2, sys_file.sys_fcntl, fd2, F_SETLK, a2) == 0  # past the range
    call(t1, sys_file.sys_close, fd1)  # closing drops process 1's locks
    t2.mem.write(a2, fl.pack(1, 0, 0, 0, 0))
    assert call(t2, sys_file.sys_fcntl, fd2, F_SETLK, a2) == 0
    assert call(t2, sys_file.sys_flock, fd2, 2 | 4) == 0
    fd3 = openf(t1, b"/tmp/lk", O_RDWR)
    assert call(t1, sys_file.sys_flock, fd3, 1 | 4) is EAGAIN


def test_getdents64_getcwd_chdir_umask(t):
    fd = openf(t, b"/etc/sub", O_RDONLY | O_DIRECTORY)
    buf = t.buf(4096)
    n = call(t, sys_file.sys_getdents64, fd, buf, 4096)
    data = t.mem.read(buf, n)
    assert b"deep\0" in data and b".\0" in data and b"..\0" in data
    assert call(t, sys_file.sys_getdents64, fd, buf, 4096) == 0
    assert call(t, sys_file.sys_getdents64, openf(t, b"/etc/sub"), buf, 10) is EINVAL
    assert call(t, sys_file.sys_getdents64, openf(t, b"/etc/hosts"), buf, 4096) is ENOTDIR
    assert call(t, sys_file.sys_chdir, t.put(b"/etc/sub")) == 0
    assert call(t, sys_file.sys_getcwd, buf, 100) == len(b"/etc/sub") + 1
    assert t.mem.read(buf, 9) == b"/etc/sub\0"
    assert call(t, sys_file.sys_getcwd, buf, 5) is ERANGE
    assert call(t, sys_file.sys_chdir, t.put(b"/etc/hosts")) is ENOTDIR
    assert call(t, sys_file.sys_fchdir, openf(t, b"/proc")) == 0
    assert call(t, sys_file.sys_getcwd, buf, 100) == 6
    assert call(t, sys_file.sys_umask, 0o077) == 0o022
    assert call(t, sys_file.sys_umask, 0o022) == 0o077


def test_namespace_calls(t):
    P = t.put
    assert call(t, sys_file.sys_mkdir, P(b"/tmp/d"), 0o777) == 0
    assert call(t, sys_file.sys_mkdir, P(b"/tmp/d"), 0o777) is EEXIST
    st = t.buf(144)
    call(t, sys_stat.sys_stat, P(b"/tmp/d"), st)
    assert unpack_stat(t.mem.read(st, 144)).mode == 0o040755
    assert call(t, sys_file.sys_symlinkat, P(b"d"), AT_FDCWD, P(b"/tmp/s")) == 0
    assert call(t, sys_stat.sys_readlink, P(b"/tmp/s"), st, 100) == 1
    assert call(t, sys_stat.sys_readlink, P(b"/tmp/d"), st, 100) is EINVAL
    fd = openf(t, b"/tmp/d/f", O_WRONLY | O_CREAT)
    call(t, sys_file.sys_close, fd)
    assert call(t, sys_file.sys_link, P(b"/tmp/d/f"), P(b"/tmp/d/g")) == 0
    call(t, sys_stat.sys_stat, P(b"/tmp/d/g"), st)
    assert unpack_stat(t.mem.read(st, 144)).nlink == 2
    old, new = P(b"/tmp/d/f"), P(b"/tmp/d/g")
    assert call(t, sys_file.sys_renameat2, AT_FDCWD, old, AT_FDCWD, new, 1) is EEXIST
    assert call(t, sys_file.sys_rename, P(b"/tmp/d/f"), P(b"/tmp/d/h")) == 0
    assert call(t, sys_file.sys_unlinkat, AT_FDCWD, P(b"/tmp/d"), AT_REMOVEDIR) is ENOTEMPTY
    assert call(t, sys_file.sys_unlink, P(b"/tmp/d/h")) == 0
    assert call(t, sys_file.sys_unlink, P(b"/tmp/d/g")) == 0
    assert call(t, sys_file.sys_unlink, P(b"/tmp/d")) is EISDIR
    assert call(t, sys_file.sys_unlinkat, AT_FDCWD, P(b"/tmp/d"), AT_REMOVEDIR) == 0
    assert call(t, sys_file.sys_rmdir, P(b"/tmp/d")) is ENOENT


def test_stat_family_and_statx(t):
    buf = t.buf(256)
    fd = openf(t, b"/etc/passwd")
    assert call(t, sys_stat.sys_fstat, fd, buf) == 0
    size = unpack_stat(t.mem.read(buf, 144)).size
    assert call(t, sys_stat.sys_lstat, t.put(b"/abs_link"), buf) == 0
    assert unpack_stat(t.mem.read(buf, 144)).mode & 0o170000 == 0o120000
    assert call(t, sys_stat.sys_statx, AT_FDCWD, t.put(b"/etc/passwd"), AT_SYMLINK_NOFOLLOW,
                0x7FF, buf) == 0
    mask, = struct.unpack_from("<I", t.mem.read(buf, 4))
    assert mask & 0x7FF == 0x7FF
    assert struct.unpack_from("<Q", t.mem.read(buf + 40, 8))[0] == size
    assert call(t, sys_stat.sys_statfs, t.put(b"/tmp"), buf) == 0
    assert call(t, sys_stat.sys_newfstatat, AT_FDCWD, t.put(b"/etc"), buf, 0x8000) is EINVAL


def test_chmod_chown_truncate_utimens(root):
    t = make_task(root)
    fd = openf(t, b"/tmp/f", O_RDWR | O_CREAT)
    write(t, fd, b"123456")
    assert call(t, sys_stat.sys_ftruncate, fd, 2) == 0
    assert call(t, sys_stat.sys_truncate, t.put(b"/tmp/f"), 4) == 0
    assert read(t, openf(t, b"/tmp/f")) == b"12\0\0"
    assert call(t, sys_stat.sys_fchmod, fd, 0o4755) == 0
    assert call(t, sys_stat.sys_chown, t.put(b"/tmp/f"), 1000, 1000) == 0
    buf = t.buf(144)
    call(t, sys_stat.sys_stat, t.put(b"/tmp/f"), buf)
    st = unpack_stat(t.mem.read(buf, 144))
    assert (st.uid, st.gid, st.mode) == (1000, 1000, 0o100755)  # chown drops setuid
    ts = t.buf(32)
    t.mem.write(ts, struct.pack("<qqqq", 10, 5, 20, 7))
    assert call(t, sys_stat.sys_utimensat, AT_FDCWD, t.put(b"/tmp/f"), ts, 0) == 0
    call(t, sys_stat.sys_stat, t.put(b"/tmp/f"), buf)
    st = unpack_stat(t.mem.read(buf, 144))
    assert (st.atime_ns, st.mtime_ns) == (10 * 10**9 + 5, 20 * 10**9 + 7)
    u = make_task(root, user(2000, 2000))
    assert call(u, sys_stat.sys_chmod, u.put(b"/tmp/f"), 0o777) is EPERM


def test_xattrs_and_ioctl(t):
    p = t.put(b"/tmp/x")
    call(t, sys_file.sys_close, openf(t, b"/tmp/x", O_WRONLY | O_CREAT))
    buf = t.buf(64)
    assert call(t, sys_xattr.sys_listxattr, p, buf, 64) == 0
    assert call(t, sys_xattr.sys_getxattr, p, t.put(b"system.posix_acl_access"), buf, 64) is ENODATA
    assert call(t, sys_xattr.sys_lgetxattr, t.put(b"/etc/passwd"), t.put(b"security.selinux"),
                buf, 64) is ENODATA
    assert call(t, sys_xattr.sys_setxattr, p, t.put(b"user.k"), t.put(b"vv"), 2, 0) == 0
    assert call(t, sys_xattr.sys_getxattr, p, t.put(b"user.k"), buf, 0) == 2
    assert call(t, sys_xattr.sys_getxattr, p, t.put(b"user.k"), buf, 1) is ERANGE
    assert call(t, sys_xattr.sys_listxattr, p, buf, 64) == 7
    assert t.mem.read(buf, 7) == b"user.k\0"
    assert call(t, sys_xattr.sys_setxattr, p, t.put(b"bogus.k"), t.put(b"v"), 1, 0) is ENOTSUP
    fd = openf(t, b"/etc/passwd")
    assert call(t, sys_ioctl.sys_ioctl, fd, 0x5451, 0) == 0  # FIOCLEX
    assert call(t, sys_file.sys_fcntl, fd, F_GETFD) == 1
    assert call(t, sys_ioctl.sys_ioctl, fd, 0x541B, buf) == 0  # FIONREAD
    assert t.mem.read_i32(buf) > 0
    assert call(t, sys_ioctl.sys_ioctl, fd, 0x5401, buf) is ENOTTY  # TCGETS


def test_sendfile_and_copy_file_range(t):
    src = openf(t, b"/etc/passwd")
    dst = openf(t, b"/tmp/copy", O_RDWR | O_CREAT)
    offp = t.buf(8)
    t.mem.write_u64(offp, 5)
    n = call(t, sys_read_write.sys_sendfile, dst, src, offp, 1000)
    assert n > 0 and t.mem.read_u64(offp) == 5 + n
    assert call(t, sys_read_write.sys_lseek, src, 0, 1) == 0  # src offset untouched
    assert call(t, sys_read_write.sys_copy_file_range, src, 0, dst, 0, 5, 0) == 5
    assert call(t, sys_read_write.sys_lseek, src, 0, 1) == 5
    assert call(t, sys_read_write.sys_lseek, dst, 0, 0) == 0
    data = read(t, dst)
    assert data.startswith(b"root:x:0:0::/root:/bin/sh\n"[5:]) and data.endswith(b"root:")
    assert call(t, sys_read_write.sys_copy_file_range, src, 0, dst, 0, 5, 1) is EINVAL
    d = openf(t, b"/etc", O_RDONLY)
    assert call(t, sys_read_write.sys_copy_file_range, d, 0, dst, 0, 5, 0) is EISDIR


def test_o_tmpfile_then_linkat(t):
    O_TMPFILE = 0o20200000
    fd = openf(t, b"/etc", O_TMPFILE | O_RDWR, 0o600)
    assert fd >= 0
    assert write(t, fd, b"anon") == 4
    assert b"#" not in b"".join(os_names(t, b"/etc"))
    link = t.buf(64)
    assert call(t, sys_stat.sys_readlink, t.put(b"/proc/self/fd/%d" % fd), link, 64) > 0
    assert t.mem.read(link, 6) == b"/etc/#"
    assert call(t, sys_file.sys_linkat, fd, t.put(b""), AT_FDCWD, t.put(b"/etc/named"),
                0x1000) == 0
    assert read(t, openf(t, b"/etc/named")) == b"anon"
    assert call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/etc"), O_TMPFILE, 0) is EINVAL
    assert call(t, sys_file.sys_openat, AT_FDCWD, t.put(b"/proc"), O_TMPFILE | O_RDWR, 0) \
        is ENOTSUP


def os_names(t, path: bytes) -> list[bytes]:
    fd = openf(t, path, O_RDONLY | O_DIRECTORY)
    buf = t.buf(1 << 16)
    n = call(t, sys_file.sys_getdents64, fd, buf, 1 << 16)
    data, out, off = t.mem.read(buf, n), [], 0
    while off < len(data):
        reclen = int.from_bytes(data[off + 16:off + 18], "little")
        out.append(data[off + 19:off + reclen].rstrip(b"\0"))
        off += reclen
    return out

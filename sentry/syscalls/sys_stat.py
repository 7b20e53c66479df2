"""stat family, statfs, access, readlink, and attribute changes (chmod, chown, truncate,
fallocate, utimes)."""

from __future__ import annotations

import struct

from sentry.abi.errno import (
    EBADF, EFAULT, EFBIG, EINVAL, EISDIR, ENODEV, ENOTSUP, EOPNOTSUPP, EPERM, ESPIPE,
)
from sentry.abi.stat import (
    S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, pack_stat, pack_statfs, pack_statx,
)
from sentry.kernel.args import AHEAD_ARG, AHEAD_PATH, M32, Args
from sentry.kernel.task import Task
from sentry.kernel.task_syscall import Written
from sentry.syscalls.sys_mmap import zero_donating
from sentry.syscalls.sys_read_write import fsize_grow
from sentry.vfs import fsnotify, ops
from sentry.vfs.constants import (
    AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_STATX_SYNC_TYPE,
    AT_SYMLINK_NOFOLLOW, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY,
)
from sentry.vfs.dentry import VirtualDentry
from sentry.vfs.file import SeekableFile

_NEWFSTATAT_INVALID = ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)
ST_VALID = 0x20
ST_RELATIME = 0x1000
STATX__RESERVED = 0x80000000


def _path(t: Task, addr: int) -> bytes:
    return t.mem.read_path(addr)


def _fstat_at(t: Task, dirfd: int, path: bytes, flags: int):  # -> Stat
    follow = not flags & AT_SYMLINK_NOFOLLOW
    return ops.stat_at(t, dirfd, path, follow, flags)


def sys_stat(t: Task, a: Args) -> Written:
    """Implements stat(2)."""
    return a.ptr(1), ops.stat_bytes_at(t, AT_FDCWD, a.path(0, t.mem), True), 0


def sys_lstat(t: Task, a: Args) -> Written:
    """Implements lstat(2)."""
    return a.ptr(1), ops.stat_bytes_at(t, AT_FDCWD, a.path(0, t.mem), False), 0


def sys_fstat(t: Task, a: Args) -> int:
    """Implements fstat(2)."""
    fd = a.fd(0)
    f = t.fds.get(fd)
    t.mem.write(a.ptr(1), pack_stat(f.stat()))
    return zero_donating(t, f, fd)


def sys_newfstatat(t: Task, a: Args) -> int | Written:
    """Implements newfstatat(2). stat(2) from glibc comes here: the common case (a path)
    takes ops.stat_bytes_at's walk without its frame, and the int arguments are masked and
    the path taken (Args.path) here, not through Args' frames (dirfd only matters to a
    relative path)."""
    flags = a[3] & M32
    if flags & _NEWFSTATAT_INVALID:
        raise EINVAL()
    mem = t.mem
    path = a[AHEAD_PATH] if len(a) > AHEAD_PATH and a[AHEAD_ARG] == 2 else mem.read_path(a[1])
    follow = not flags & AT_SYMLINK_NOFOLLOW
    if path:
        dirfd = AT_FDCWD if path[:1] == b"/" else a.int(0)
        return a[2], ops.resolve_path(t, dirfd, path, follow).dentry.inode.stat_bytes(), 0
    dirfd, buf = a.int(0), a[2]
    mem.write(buf, ops.stat_bytes_at(t, dirfd, path, follow, flags))
    if flags & AT_EMPTY_PATH and dirfd >= 0:  # fstat (glibc's)
        return zero_donating(t, t.fds.get(dirfd), dirfd)
    return 0


def sys_statx(t: Task, a: Args) -> Written:
    """Implements statx(2)."""
    dirfd, pathp, flags, mask, buf = a.int(0), a.ptr(1), a.int(2), a.uint(3), a.ptr(4)
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE):
        raise EINVAL()
    if flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE or mask & STATX__RESERVED:
        raise EINVAL()
    path = b"" if pathp == 0 and flags & AT_EMPTY_PATH else a.path(1, t.mem)
    return buf, pack_statx(_fstat_at(t, dirfd, path, flags)), 0


def _statfs_of(vd: VirtualDentry) -> bytes:
    s = vd.mount.fs.statfs()
    fl = vd.mount.flags
    s.flags = ST_VALID | ST_RELATIME | (1 if fl & MS_RDONLY or vd.mount.fs.read_only else 0)
    s.flags |= (2 if fl & MS_NOSUID else 0) | (4 if fl & MS_NODEV else 0)
    s.flags |= 8 if fl & MS_NOEXEC else 0
    return pack_statfs(s)


def sys_statfs(t: Task, a: Args) -> int:
    """Implements statfs(2)."""
    vd = ops.lookup(t, AT_FDCWD, _path(t, a.ptr(0)))
    t.mem.write(a.ptr(1), _statfs_of(vd))
    return 0


def sys_fstatfs(t: Task, a: Args) -> int:
    """Implements fstatfs(2). An anonymous file (pipe, socket, eventfd …) answers for its
    internal filesystem, whose mount Linux flags ST_VALID only; host stdio asks the host."""
    f = t.fds.get(a.int(0))
    if f.vd is not None:
        t.mem.write(a.ptr(1), _statfs_of(f.vd))
        return 0
    s = f.statfs()
    s.flags = s.flags or ST_VALID
    t.mem.write(a.ptr(1), pack_statfs(s))
    return 0


# --- access and readlink ------------------------------------------------------------
# Their bad modes, flags and sizes are EINVAL before the path is read (Linux's
# do_faccessat and do_readlinkat): access((char *)8, 0xff) is EINVAL, not EFAULT.
_ACCESS_FLAGS = AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH


def _access(t: Task, a: Args, dirfd: int, i: int, mode: int, flags: int = 0) -> int:
    if mode & ~7 or flags & ~_ACCESS_FLAGS:
        raise EINVAL()
    ops.access_at(t, dirfd, a.path(i, t.mem), mode, not flags & AT_SYMLINK_NOFOLLOW,
                  bool(flags & AT_EACCESS), flags)
    return 0


def sys_access(t: Task, a: Args) -> int:
    """Implements access(2)."""
    return _access(t, a, AT_FDCWD, 0, a.int(1))


def sys_faccessat(t: Task, a: Args) -> int:
    """Implements faccessat(2) (the syscall has no flags argument)."""
    return _access(t, a, a.int(0), 1, a.int(2))


def sys_faccessat2(t: Task, a: Args) -> int:
    """Implements faccessat2(2)."""
    return _access(t, a, a.int(0), 1, a.int(2), a.int(3))


def _readlink(t: Task, a: Args, dirfd: int, i: int, buf: int, size: int) -> Written:
    if size <= 0:
        raise EINVAL()
    target = ops.readlink_at(t, dirfd, a.path(i, t.mem))[:size]
    return buf, target, len(target)


def sys_readlink(t: Task, a: Args) -> Written:
    """Implements readlink(2)."""
    return _readlink(t, a, AT_FDCWD, 0, a.ptr(1), a.int(2))


def sys_readlinkat(t: Task, a: Args) -> Written:
    """Implements readlinkat(2)."""
    return _readlink(t, a, a.int(0), 1, a.ptr(2), a.int(3))


# --- attribute changes --------------------------------------------------------------
def _fd_vd(t: Task, fd: int) -> VirtualDentry:
    """The file an f* attribute call names (EBADF for O_PATH, as Linux's fdget)."""
    f = t.fds.get(fd)
    if f.is_path:
        raise EBADF()
    if f.vd is None:
        raise EPERM()  # anonymous files (pipes, stdio): their attributes are not ours
    return f.vd


def sys_chmod(t: Task, a: Args) -> int:
    """Implements chmod(2)."""
    ops.chmod_vd(t, ops.lookup(t, AT_FDCWD, _path(t, a.ptr(0))), a.uint(1))
    return 0


def sys_fchmod(t: Task, a: Args) -> int:
    """Implements fchmod(2)."""
    ops.chmod_vd(t, _fd_vd(t, a.int(0)), a.uint(1))
    return 0


def sys_fchmodat(t: Task, a: Args) -> int:
    """Implements fchmodat(2)."""
    ops.chmod_vd(t, ops.lookup(t, a.int(0), _path(t, a.ptr(1))), a.uint(2))
    return 0


def sys_fchmodat2(t: Task, a: Args) -> int:
    """Implements fchmodat2(2) (Linux 6.6)."""
    dirfd, path, mode, flags = a.int(0), _path(t, a.ptr(1)), a.uint(2), a.int(3)
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise EINVAL()
    vd = ops.lookup(t, dirfd, path, not flags & AT_SYMLINK_NOFOLLOW, flags)
    if vd.dentry.inode.is_symlink():
        raise ENOTSUP()
    ops.chmod_vd(t, vd, mode)
    return 0


def sys_chown(t: Task, a: Args) -> int:
    """Implements chown(2)."""
    ops.chown_vd(t, ops.lookup(t, AT_FDCWD, _path(t, a.ptr(0))), a.uint(1), a.uint(2))
    return 0


def sys_lchown(t: Task, a: Args) -> int:
    """Implements lchown(2)."""
    ops.chown_vd(t, ops.lookup(t, AT_FDCWD, _path(t, a.ptr(0)), False), a.uint(1), a.uint(2))
    return 0


def sys_fchown(t: Task, a: Args) -> int:
    """Implements fchown(2)."""
    ops.chown_vd(t, _fd_vd(t, a.int(0)), a.uint(1), a.uint(2))
    return 0


def sys_fchownat(t: Task, a: Args) -> int:
    """Implements fchownat(2)."""
    dirfd, path, uid, gid, flags = a.int(0), _path(t, a.ptr(1)), a.uint(2), a.uint(3), a.int(4)
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise EINVAL()
    ops.chown_vd(t, ops.lookup(t, dirfd, path, not flags & AT_SYMLINK_NOFOLLOW, flags), uid, gid)
    return 0


def sys_truncate(t: Task, a: Args) -> int:
    """Implements truncate(2)."""
    path, size = _path(t, a.ptr(0)), a.long(1)
    if size < 0:
        raise EINVAL()
    vd = ops.lookup(t, AT_FDCWD, path)
    ops.truncate_vd(t, vd, size, lambda old: fsize_grow(t, old, size))
    return 0


def sys_ftruncate(t: Task, a: Args) -> int:
    """Implements ftruncate(2)."""
    f, size = t.fds.get(a.int(0)), a.long(1)
    if size < 0:
        raise EINVAL()
    if isinstance(f, SeekableFile) and f.writable and f.inode is not None \
            and f.inode.mode & S_IFMT == S_IFREG:
        fsize_grow(t, f.size(), size)
    f.truncate(size)
    if fsnotify.active:
        fsnotify.file_event(f, fsnotify.IN_MODIFY)
    return 0


FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 0x01, 0x02
FALLOC_SUPPORTED = 0x7F  # every FALLOC_FL_* Linux knows
MAX_LFS = (1 << 63) - 1


def sys_fallocate(t: Task, a: Args) -> int:
    """Implements fallocate(2): the checks of Linux's vfs_fallocate, in its order; the
    filesystem does the rest (FileDescription.allocate; EOPNOTSUPP where it has none)."""
    f, mode, off, length = t.fds.get(a.int(0)), a.int(1), a.long(2), a.long(3)
    if off < 0 or length <= 0:
        raise EINVAL()
    if mode & ~FALLOC_SUPPORTED or (mode & FALLOC_FL_PUNCH_HOLE
                                    and not mode & FALLOC_FL_KEEP_SIZE):
        raise EOPNOTSUPP()
    if not f.writable or f.is_path:
        raise EBADF()
    inode = f.inode
    kind = inode.mode & S_IFMT if inode is not None else S_IFIFO
    if kind in (S_IFIFO, S_IFSOCK):
        raise ESPIPE()
    if kind == S_IFDIR:
        raise EISDIR()
    if kind != S_IFREG:
        raise ENODEV()
    if off + length > MAX_LFS:
        raise EFBIG()
    if not mode & FALLOC_FL_KEEP_SIZE:
        fsize_grow(t, f.size() if isinstance(f, SeekableFile) else 0, off + length)
    f.allocate(mode, off, length)
    if fsnotify.active:
        fsnotify.file_event(f, fsnotify.IN_MODIFY)
    return 0


def _timespecs(t: Task, addr: int) -> tuple[tuple[int, int], tuple[int, int]] | None:
    if addr == 0:
        return None
    v = struct.unpack("<qqqq", t.mem.read(addr, 32))
    return (v[0], v[1]), (v[2], v[3])


def _timevals(t: Task, addr: int) -> tuple[tuple[int, int], tuple[int, int]] | None:
    if addr == 0:
        return None
    v = struct.unpack("<qqqq", t.mem.read(addr, 32))
    if not (0 <= v[1] < 1_000_000 and 0 <= v[3] < 1_000_000):
        raise EINVAL()
    return (v[0], v[1] * 1000), (v[2], v[3] * 1000)


def sys_utimensat(t: Task, a: Args) -> int:
    """Implements utimensat(2)."""
    dirfd, pathp, times, flags = a.int(0), a.ptr(1), a.ptr(2), a.int(3)
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise EINVAL()
    ts = _timespecs(t, times)
    if pathp == 0:  # futimens: the file dirfd itself
        if dirfd == AT_FDCWD:
            raise EFAULT()
        vd = _fd_vd(t, dirfd)
    else:
        vd = ops.lookup(t, dirfd, _path(t, pathp), not flags & AT_SYMLINK_NOFOLLOW, flags)
    ops.utimes_vd(t, vd, ts)
    return 0


def sys_utimes(t: Task, a: Args) -> int:
    """Implements utimes(2)."""
    vd = ops.lookup(t, AT_FDCWD, _path(t, a.ptr(0)))
    ops.utimes_vd(t, vd, _timevals(t, a.ptr(1)))
    return 0


def sys_futimesat(t: Task, a: Args) -> int:
    """Implements futimesat(2)."""
    vd = ops.lookup(t, a.int(0), _path(t, a.ptr(1)))
    ops.utimes_vd(t, vd, _timevals(t, a.ptr(2)))
    return 0


def sys_utime(t: Task, a: Args) -> int:
    """Implements utime(2)."""
    vd = ops.lookup(t, AT_FDCWD, _path(t, a.ptr(0)))
    times = None
    if a.ptr(1):
        at, mt = struct.unpack("<qq", t.mem.read(a.ptr(1), 16))
        times = ((at, 0), (mt, 0))
    ops.utimes_vd(t, vd, times)
    return 0

"""open/close/dup/fcntl, the working directory, directory listing, and namespace changes
(mkdir, unlink, rename, link, symlink, mknod)."""

from __future__ import annotations

import os
import struct
from typing import Any

from sentry.abi.errno import (
    E2BIG, EAGAIN, EBADF, EFAULT, EINVAL, ENOENT, ENOTDIR, EPERM, ERANGE, SysError,
)
from sentry.kernel import fasync
from sentry.kernel.args import AHEAD_ARG, AHEAD_PATH, M32, Args
from sentry.kernel.task import Task
from sentry.syscalls.sys_memfd import F_ADD_SEALS, F_GET_SEALS, seals_fcntl
from sentry.vfs import ops
from sentry.vfs.constants import (
    AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD,
    F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_ACCMODE, O_CLOEXEC, O_CREAT,
    O_ASYNC, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_RDONLY, O_TRUNC, O_WRONLY, SETFL_MASK,
)
from sentry.vfs.dentry import VirtualDentry
from sentry.vfs.file import FileDescription, fd_closed
from sentry.vfs.fsimpl.pipe import PipeFile, wait_partner
from sentry.vfs.locks import fcntl_lock, flock, is_lock_cmd, release_posix
from sentry.vfs.perm import MAY_EXEC, check_access
from sentry.vfs.resolve import (RESOLVE_ALL, RESOLVE_BENEATH, RESOLVE_CACHED,
                                 RESOLVE_IN_ROOT, path_of)
from sentry.kernel.creds import CAP_DAC_READ_SEARCH, CAP_SYS_CHROOT, capable

CLOSE_RANGE_UNSHARE = 2
CLOSE_RANGE_CLOEXEC = 4


def _path(t: Task, addr: int) -> bytes:
    return t.mem.read_path(addr)


# --- open and close -----------------------------------------------------------------
def open_file(t: Task, dirfd: int, path: bytes, flags: int, mode: int) -> FileDescription:
    """The core of openat(2): resolves, checks and opens, without installing an fd."""
    return ops.open_at(t, dirfd, path, flags, mode)


def _install(t: Task, f: FileDescription, cloexec: bool) -> int:
    try:
        return t.fds.install(f, cloexec)
    except SysError:
        if f.refs == 0:
            f.release()
        raise


def _openat(t: Task, dirfd: int, path: bytes, flags: int, mode: int, resolve: int = 0) -> Any:
    """The fd, or, for a FIFO open that must wait for its other end, a coroutine that the
    kernel runs as it runs an async handler's (so the common path stays a plain call)."""
    f = ops.open_at(t, dirfd, path, flags, mode, resolve)
    if f.__class__ is PipeFile and f.partner_wait is not None:
        return _open_fifo(t, f, bool(flags & O_CLOEXEC))
    try:  # (_install, inlined: every open comes here)
        return t.fds.install(f, flags & O_CLOEXEC != 0)
    except SysError:
        if f.refs == 0:
            f.release()
        raise


async def _open_fifo(t: Task, f: PipeFile, cloexec: bool) -> int:
    await wait_partner(t, f)
    return _install(t, f, cloexec)


def sys_open(t: Task, a: Args) -> Any:
    """Implements open(2) (may block: FIFOs)."""
    flags = a.int(1)
    mode = a.uint(2) if flags & _MODE_USED else 0
    return _openat(t, AT_FDCWD, a.path(0, t.mem), flags, mode)


def sys_openat(t: Task, a: Args) -> Any:
    """Implements openat(2) (may block: FIFOs). Every open from glibc comes here: its int
    arguments are masked and its path taken (Args.path) here, not through Args' frames
    (flags only for bit tests; dirfd only for a relative path)."""
    flags = a[2] & M32
    mode = a[3] & M32 if flags & _MODE_USED else 0
    path = a[AHEAD_PATH] if len(a) > AHEAD_PATH and a[AHEAD_ARG] == 2 else t.mem.read_path(a[1])
    return _openat(t, AT_FDCWD if path[:1] == b"/" else a.int(0), path, flags, mode)


# The flags with which open's mode argument means anything (Linux reads it only then).
_MODE_USED = O_CREAT | 0o20000000  # (__O_TMPFILE)
OPEN_HOW = struct.Struct("<QQQ")  # struct open_how: flags, mode, resolve
_TMPFILE_BIT = 0o20000000  # __O_TMPFILE (O_TMPFILE also holds O_DIRECTORY)
# Linux's VALID_OPEN_FLAGS on x86-64.
VALID_OPEN_FLAGS = (0o3 | 0o100 | 0o200 | 0o400 | 0o1000 | 0o2000 | 0o4000 | 0o4000000
                    | 0o10000 | 0o20000 | 0o40000 | 0o100000 | 0o200000 | 0o400000
                    | 0o1000000 | 0o2000000 | 0o10000000 | _TMPFILE_BIT)
_O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC


def sys_openat2(t: Task, a: Args) -> Any:
    """Implements openat2(2): struct open_how checked as Linux's build_open_flags (every
    unknown bit is EINVAL, unlike openat), then the walk under its RESOLVE_* flags
    (sentry.vfs.resolve.ScopedWalker)."""
    size = a.ulong(3)
    if size < OPEN_HOW.size:
        raise EINVAL()
    if size > 4096:
        raise E2BIG()
    raw = t.mem.read(a.ptr(2), size)
    if raw[OPEN_HOW.size:].count(0) != size - OPEN_HOW.size:
        raise E2BIG()
    flags, mode, resolve = OPEN_HOW.unpack_from(raw)
    f = flags & ~O_CLOEXEC
    if f & ~VALID_OPEN_FLAGS or resolve & ~RESOLVE_ALL \
            or resolve & RESOLVE_BENEATH and resolve & RESOLVE_IN_ROOT:
        raise EINVAL()
    if mode & ~0o7777 if f & (O_CREAT | _TMPFILE_BIT) else mode:
        raise EINVAL()
    if f & (O_DIRECTORY | O_CREAT) == O_DIRECTORY | O_CREAT:
        raise EINVAL()
    if f & _TMPFILE_BIT and (not f & O_DIRECTORY or f & O_ACCMODE == O_RDONLY):
        raise EINVAL()
    if f & O_PATH and f & ~_O_PATH_FLAGS:
        raise EINVAL()
    if resolve & RESOLVE_CACHED and f & (O_TRUNC | O_CREAT | _TMPFILE_BIT):
        raise EAGAIN()  # the walk is always "cached" here; these need more than a walk
    return _openat(t, a.int(0), a.path(1, t.mem), flags, mode, resolve)


def sys_creat(t: Task, a: Args) -> Any:
    """Implements creat(2)."""
    return _openat(t, AT_FDCWD, _path(t, a.ptr(0)), O_CREAT | O_WRONLY | O_TRUNC, a.uint(1))


def sys_close(t: Task, a: Args) -> int:
    """Implements close(2)."""
    f = t.fds.remove(a.fd(0))
    release_posix(t.tg, f)  # fd_closed's work, inline on this hot path
    if f.flushes:
        f.flush(t.tg)
    f.decref()
    return 0


def sys_close_range(t: Task, a: Args) -> int:
    """Implements close_range(2)."""
    first, last, flags = a.uint(0), a.uint(1), a.uint(2)
    if flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) or first > last:
        raise EINVAL()
    if flags & CLOSE_RANGE_UNSHARE:
        t.fds = t.fds.fork()
    for fd, _ in t.fds.items():
        if first <= fd <= last:
            if flags & CLOSE_RANGE_CLOEXEC:
                t.fds.set_cloexec(fd, True)
            else:
                f = t.fds.remove(fd)
                fd_closed(t.tg, f)
                f.decref()
    return 0


# --- dup and fcntl ------------------------------------------------------------------
def sys_dup(t: Task, a: Args) -> int:
    """Implements dup(2)."""
    return t.fds.install(t.fds.get(a.int(0)))


def sys_dup2(t: Task, a: Args) -> int:
    """Implements dup2(2)."""
    old, new = a.int(0), a.int(1)
    f = t.fds.get(old)
    if old != new:
        t.fds.install_at(new, f, False, closing=lambda g: fd_closed(t.tg, g))
    return new


def sys_dup3(t: Task, a: Args) -> int:
    """Implements dup3(2)."""
    old, new, flags = a.int(0), a.int(1), a.int(2)
    if flags & ~O_CLOEXEC or old == new:
        raise EINVAL()
    t.fds.install_at(new, t.fds.get(old), bool(flags & O_CLOEXEC),
                     closing=lambda g: fd_closed(t.tg, g))
    return new


async def sys_fcntl(t: Task, a: Args) -> int:
    """Implements fcntl(2). Differences: O_ASYNC on host-backed files (host stdio,
    hostinet sockets) sends no signal."""
    fd, cmd = a.int(0), a.int(1)
    f = t.fds.get(fd)
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
        if a.int(2) < 0 or a.int(2) >= t.fds.limit:
            raise EINVAL()
        return t.fds.install(f, cmd == F_DUPFD_CLOEXEC, a.int(2))
    if cmd == F_GETFD:
        return FD_CLOEXEC if t.fds.get_cloexec(fd) else 0
    if cmd == F_SETFD:
        t.fds.set_cloexec(fd, bool(a.int(2) & FD_CLOEXEC))
        return 0
    if cmd == F_GETFL:
        return f.flags
    if f.is_path:
        raise EBADF()
    if cmd == F_SETFL:
        new = f.flags & ~SETFL_MASK | a.int(2) & SETFL_MASK
        if (new ^ f.flags) & O_ASYNC:
            fasync.set_flag(t, f, fd, bool(new & O_ASYNC))
        f.flags = new
        return 0
    if is_lock_cmd(cmd):
        return await fcntl_lock(t, f, cmd, a.ptr(2))
    if cmd in fasync.OWNER_CMDS:
        return fasync.owner_fcntl(t, f, cmd, a.ulong(2))
    if cmd in (F_ADD_SEALS, F_GET_SEALS):
        return seals_fcntl(f, cmd, a.uint(2))
    fcntl_hook = getattr(f, "fcntl", None)
    if fcntl_hook is not None:
        return fcntl_hook(t, cmd, a.ulong(2))
    raise EINVAL()


# --- working directory --------------------------------------------------------------
def sys_getcwd(t: Task, a: Args) -> int:
    """Implements getcwd(2)."""
    buf, size = a.ptr(0), a.size(1)
    cwd = t.fs.cwd
    if cwd.dentry.dead:
        raise ENOENT()
    path = path_of(t.fs.root, cwd) + b"\0"
    m = cwd.mount
    while m.parent is not None:
        m = m.parent
    if m.detached:  # in a tree a lazy unmount took away: Linux's prepend_unreachable
        path = b"(unreachable)" + path
    if len(path) > size:
        raise ERANGE()
    t.mem.write(buf, path)
    return len(path)


def _set_cwd(t: Task, vd: VirtualDentry) -> int:
    st = vd.dentry.inode.stat()
    if st.mode & 0o170000 != 0o040000:
        raise ENOTDIR()
    check_access(t.creds, st, MAY_EXEC)
    t.fs.cwd = vd
    return 0


def sys_chdir(t: Task, a: Args) -> int:
    """Implements chdir(2)."""
    return _set_cwd(t, ops.lookup(t, AT_FDCWD, _path(t, a.ptr(0))))


def sys_fchdir(t: Task, a: Args) -> int:
    """Implements fchdir(2)."""
    f = t.fds.get(a.int(0))
    if f.vd is None:
        raise ENOTDIR()
    return _set_cwd(t, f.vd)


def sys_chroot(t: Task, a: Args) -> int:
    """Implements chroot(2)."""
    vd = ops.lookup(t, AT_FDCWD, _path(t, a.ptr(0)))
    if not vd.dentry.inode.is_dir():
        raise ENOTDIR()
    check_access(t.creds, vd.dentry.inode.stat(), MAY_EXEC)
    if not capable(t.creds, CAP_SYS_CHROOT):
        raise EPERM()
    t.fs.root = vd
    return 0


def sys_umask(t: Task, a: Args) -> int:
    """Implements umask(2)."""
    old = t.fs.umask
    t.fs.umask = a.uint(0) & 0o777
    return old


def sys_getdents(t: Task, a: Args) -> int:
    """Implements getdents(2) (struct linux_dirent, d_type in each record's last byte)."""
    return _getdents(t, a, True)


def sys_getdents64(t: Task, a: Args) -> int:
    """Implements getdents64(2)."""
    return _getdents(t, a, False)


def _getdents(t: Task, a: Args, legacy: bool) -> int:
    f = t.fds.get(a.int(0))
    at = f.offset
    data = f.getdents(t, a.uint(2), legacy)
    try:
        t.mem.write(a.ptr(1), data)
    except EFAULT:
        f.offset = at  # nothing was delivered: the next call lists the same entries
        raise
    return len(data)


# --- namespace changes --------------------------------------------------------------
def sys_mkdir(t: Task, a: Args) -> int:
    """Implements mkdir(2)."""
    ops.mkdir_at(t, AT_FDCWD, _path(t, a.ptr(0)), a.uint(1))
    return 0


def sys_mkdirat(t: Task, a: Args) -> int:
    """Implements mkdirat(2)."""
    ops.mkdir_at(t, a.int(0), _path(t, a.ptr(1)), a.uint(2))
    return 0


def _decode_dev(dev: int) -> int:
    """The syscall's 32-bit dev (new_decode_dev) as a host dev_t."""
    return os.makedev((dev & 0xFFF00) >> 8, (dev & 0xFF) | ((dev >> 12) & 0xFFF00))


def sys_mknod(t: Task, a: Args) -> int:
    """Implements mknod(2)."""
    ops.mknod_at(t, AT_FDCWD, _path(t, a.ptr(0)), a.uint(1), _decode_dev(a.uint(2)))
    return 0


def sys_mknodat(t: Task, a: Args) -> int:
    """Implements mknodat(2)."""
    ops.mknod_at(t, a.int(0), _path(t, a.ptr(1)), a.uint(2), _decode_dev(a.uint(3)))
    return 0


def sys_rmdir(t: Task, a: Args) -> int:
    """Implements rmdir(2)."""
    ops.rmdir_at(t, AT_FDCWD, _path(t, a.ptr(0)))
    return 0


def sys_unlink(t: Task, a: Args) -> int:
    """Implements unlink(2)."""
    ops.unlink_at(t, AT_FDCWD, _path(t, a.ptr(0)))
    return 0


def sys_unlinkat(t: Task, a: Args) -> int:
    """Implements unlinkat(2)."""
    dirfd, path, flags = a.int(0), _path(t, a.ptr(1)), a.int(2)
    if flags & ~AT_REMOVEDIR:
        raise EINVAL()
    if flags & AT_REMOVEDIR:
        ops.rmdir_at(t, dirfd, path)
    else:
        ops.unlink_at(t, dirfd, path)
    return 0


def sys_rename(t: Task, a: Args) -> int:
    """Implements rename(2). Differences: renaming a directory of the host layer is EXDEV."""
    ops.rename_at(t, AT_FDCWD, _path(t, a.ptr(0)), AT_FDCWD, _path(t, a.ptr(1)), 0)
    return 0


def sys_renameat(t: Task, a: Args) -> int:
    """Implements renameat(2). Differences: as rename."""
    ops.rename_at(t, a.int(0), _path(t, a.ptr(1)), a.int(2), _path(t, a.ptr(3)), 0)
    return 0


def sys_renameat2(t: Task, a: Args) -> int:
    """Implements renameat2(2). Differences: RENAME_EXCHANGE and RENAME_WHITEOUT: EINVAL."""
    ops.rename_at(t, a.int(0), _path(t, a.ptr(1)), a.int(2), _path(t, a.ptr(3)), a.uint(4))
    return 0


def sys_symlink(t: Task, a: Args) -> int:
    """Implements symlink(2)."""
    ops.symlink_at(t, _path(t, a.ptr(0)), AT_FDCWD, _path(t, a.ptr(1)))
    return 0


def sys_symlinkat(t: Task, a: Args) -> int:
    """Implements symlinkat(2)."""
    ops.symlink_at(t, _path(t, a.ptr(0)), a.int(1), _path(t, a.ptr(2)))
    return 0


def sys_link(t: Task, a: Args) -> int:
    """Implements link(2)."""
    ops.link_at(t, AT_FDCWD, _path(t, a.ptr(0)), AT_FDCWD, _path(t, a.ptr(1)), False, 0)
    return 0


def sys_linkat(t: Task, a: Args) -> int:
    """Implements linkat(2)."""
    olddirfd, old, newdirfd, new = a.int(0), _path(t, a.ptr(1)), a.int(2), _path(t, a.ptr(3))
    flags = a.int(4)
    if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH):
        raise EINVAL()
    if flags & AT_EMPTY_PATH and not old and not capable(t.creds, CAP_DAC_READ_SEARCH):
        raise ENOENT()
    ops.link_at(t, olddirfd, old, newdirfd, new, bool(flags & AT_SYMLINK_FOLLOW), flags)
    return 0


# --- data integrity -----------------------------------------------------------------
def sys_fsync(t: Task, a: Args) -> int:
    """Implements fsync(2): our files live in memory or on a read-only host tree."""
    t.fds.get(a.int(0)).fsync()
    return 0


def sys_fdatasync(t: Task, a: Args) -> int:
    """Implements fdatasync(2)."""
    t.fds.get(a.int(0)).fsync()
    return 0


def sys_sync(t: Task, a: Args) -> int:
    """Implements sync(2): nothing the Sentry holds needs flushing."""
    return 0


def sys_syncfs(t: Task, a: Args) -> int:
    """Implements syncfs(2)."""
    t.fds.get(a.int(0))
    return 0



async def sys_flock(t: Task, a: Args) -> int:
    """Implements flock(2)."""
    f = t.fds.get(a.int(0))
    if f.is_path:
        raise EBADF()
    return await flock(t, f, a.int(1))

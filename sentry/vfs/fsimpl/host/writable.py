"""Writable hostfs: a read-write bind mount whose changes reach the host directory.

Only explicit rw binds use it (container_root.py); the root file system stays a read-only
hostfs under a memory layer. The safety rules of hostfs.py hold for every change: each
call names one component (never '/', '.' or '..' from the guest) relative to a directory
fd the Sentry holds, with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW, so a host symlink is never
followed (the Sentry's own walk resolves symlinks inside the sandbox). Attribute changes
go through an O_PATH|O_NOFOLLOW fd checked to be the same file (st_dev, st_ino).

New files get the caller's fsuid/fsgid on the host (as gVisor's gofer does), when the
Sentry may chown; their mode is set exactly (the Sentry's umask does not apply: core
applied the guest's). Only user.* xattrs may be set: trusted.* and security.* (file
capabilities) would mean something to the host.

Inodes are memoised per directory (weakly), so a rename moves the very object the
dentry cache holds and later calls reach the file under its new name.
"""

from __future__ import annotations

import ctypes
import os
import stat as pystat
import weakref
from typing import Any

from sentry.abi.errno import EACCES, ENOENT, ENOTSUP, EOPNOTSUPP, EPERM, EROFS, ETXTBSY
from sentry.abi.stat import S_IFIFO, S_IFMT, S_IFREG, Stat
from sentry.vfs.constants import O_ACCMODE, O_RDONLY
from sentry.vfs.fsimpl.host.hostfs import HostFile, HostFS, HostInode, _libc, sys_error
from sentry.vfs.inode import Inode, SetAttr

AT_SYMLINK_NOFOLLOW = 0x100
AT_EMPTY_PATH = 0x1000
UTIME_OMIT = (1 << 30) - 2
_O_PATH_FILE = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC


class _Timespec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]


def _check(rc: int) -> None:
    if rc != 0:
        raise sys_error(OSError(ctypes.get_errno(), "host call"))


def _ts(ns: int | None) -> _Timespec:
    return _Timespec(0, UTIME_OMIT) if ns is None else _Timespec(ns // 10**9, ns % 10**9)


class WritableHostFS(HostFS):
    """A host directory the workload may change (a rw bind mount)."""

    read_only = False


class WritableHostInode(HostInode):
    def __init__(self, fs: HostFS, parent: HostInode | None, name: bytes,
                 st: os.stat_result, fd: int = -1) -> None:
        super().__init__(fs, parent, name, st, fd)
        self._kids: weakref.WeakValueDictionary[bytes, WritableHostInode] = (
            weakref.WeakValueDictionary())
        self._fd_writable = False

    # --- attributes: always fresh (the tree changes) ------------------------------------
    def host_stat(self) -> os.stat_result:
        """Of this very file: through its open fd if it has one (it may be unlinked), else
        by name, checked to be the same file (ENOENT if it was replaced on the host)."""
        if self._file_fd >= 0:
            try:
                return os.fstat(self._file_fd)
            except OSError as e:
                raise sys_error(e) from None
        st = super().host_stat()
        if (st.st_dev, st.st_ino) != self._id:
            raise ENOENT()
        return st

    def stat(self) -> Stat:
        st = self.host_stat()
        self._mode = st.st_mode
        return Stat.from_host(st)

    def access_stat(self) -> Stat:
        return self.stat()

    def _opath(self) -> tuple[int, bool]:
        """An O_PATH fd of this very file (not followed) and whether the caller closes it."""
        if self._dir:
            return self.dirfd(), False
        return self.reopen(_O_PATH_FILE), True

    def setattr(self, t: Any, attrs: SetAttr) -> None:
        if attrs.size is not None:
            self._truncate(attrs.size)
        fd, owned = self._opath()
        try:
            if attrs.mode is not None:
                if pystat.S_ISLNK(self._mode):
                    raise EOPNOTSUPP()
                os.chmod(f"/proc/self/fd/{fd}", attrs.mode & 0o7777)
            if attrs.uid is not None or attrs.gid is not None:
                uid = -1 if attrs.uid is None else attrs.uid
                gid = -1 if attrs.gid is None else attrs.gid
                _check(_libc.fchownat(fd, b"", uid, gid, AT_EMPTY_PATH))
            if attrs.atime_ns is not None or attrs.mtime_ns is not None:
                times = (_Timespec * 2)(_ts(attrs.atime_ns), _ts(attrs.mtime_ns))
                if self.parent is None:
                    _check(_libc.utimensat(fd, b".", times, 0))
                else:
                    _check(_libc.utimensat(self.parent.dirfd(), self.name, times,
                                           AT_SYMLINK_NOFOLLOW))
        except OSError as e:
            raise sys_error(e) from None
        finally:
            if owned:
                os.close(fd)
        self.stat()

    def _truncate(self, size: int) -> None:
        if self._file_fd >= 0 and self._fd_writable:
            fd, owned = self._file_fd, False
        else:
            fd, owned = self._open_rw(), True
        try:
            os.ftruncate(fd, size)
        except OSError as e:
            raise sys_error(e) from None
        finally:
            if owned:
                os.close(fd)

    def _open_rw(self) -> int:
        """A new O_RDWR fd of this regular file (the caller closes it)."""
        try:
            fd = os.open(self.name, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                         dir_fd=self.parent.dirfd())
        except OSError as e:
            raise sys_error(e) from None
        st = os.fstat(fd)
        if not pystat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) != self._id:
            os.close(fd)
            raise ENOENT()
        return fd

    # --- names ------------------------------------------------------------------------
    def lookup(self, t: Any, name: bytes) -> Inode:
        kid = self._kids.get(name)
        if kid is not None:
            try:
                st = os.stat(name, dir_fd=self.dirfd(), follow_symlinks=False)
            except OSError as e:
                raise sys_error(e) from None
            if (st.st_dev, st.st_ino) == kid._id:
                return kid
        kid = super().lookup(t, name)
        self._kids[name] = kid
        return kid

    def _made(self, t: Any, name: bytes, chown: bool = True) -> Inode:
        """The inode of a file just made at `name`, given the caller's owner."""
        if chown and t is not None:
            uid, gid = t.creds.fsuid, t.creds.fsgid
            if self._mode & 0o2000:
                gid = -1  # a setgid directory's group, as the host gave it
            if uid != os.geteuid() or gid not in (-1, os.getegid()):
                try:
                    os.chown(name, uid, gid, dir_fd=self.dirfd(), follow_symlinks=False)
                except OSError:
                    pass  # the Sentry may not chown: the file stays the Sentry's
        self._kids.pop(name, None)
        return self.lookup(t, name)

    def create(self, t: Any, name: bytes, mode: int) -> Inode:
        try:
            fd = os.open(name, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_NOFOLLOW
                         | os.O_CLOEXEC, 0o600, dir_fd=self.dirfd())
            try:
                os.fchmod(fd, mode & 0o7777)
            finally:
                os.close(fd)
        except OSError as e:
            raise sys_error(e) from None
        return self._made(t, name)

    def mkdir(self, t: Any, name: bytes, mode: int) -> Inode:
        try:
            os.mkdir(name, 0o700, dir_fd=self.dirfd())
        except OSError as e:
            raise sys_error(e) from None
        kid = self._made(t, name)
        keep = 0o2000 if self._mode & 0o2000 else 0  # setgid directories propagate it
        kid.setattr(t, SetAttr(mode=mode & 0o7777 | keep))
        return kid

    def mknod(self, t: Any, name: bytes, mode: int, rdev: int) -> Inode:
        if mode & S_IFMT == S_IFREG:
            return self.create(t, name, mode)
        if mode & S_IFMT != S_IFIFO:
            raise EPERM()  # no device nodes or sockets on the host
        try:
            os.mkfifo(name, 0o600, dir_fd=self.dirfd())
        except OSError as e:
            raise sys_error(e) from None
        kid = self._made(t, name)
        kid.setattr(t, SetAttr(mode=mode & 0o7777))
        return kid

    def symlink(self, t: Any, name: bytes, target: bytes) -> Inode:
        try:
            os.symlink(target, name, dir_fd=self.dirfd())
        except OSError as e:
            raise sys_error(e) from None
        return self._made(t, name)

    def link(self, t: Any, name: bytes, target: Inode) -> Inode:
        assert isinstance(target, WritableHostInode) and target.parent is not None
        try:
            os.link(target.name, name, src_dir_fd=target.parent.dirfd(),
                    dst_dir_fd=self.dirfd(), follow_symlinks=False)
        except OSError as e:
            raise sys_error(e) from None
        return self._made(t, name, chown=False)

    def unlink(self, t: Any, name: bytes) -> None:
        try:
            os.unlink(name, dir_fd=self.dirfd())
        except OSError as e:
            raise sys_error(e) from None
        _forget(self.fs, self._kids.pop(name, None))

    def rmdir(self, t: Any, name: bytes) -> None:
        try:
            os.rmdir(name, dir_fd=self.dirfd())
        except OSError as e:
            raise sys_error(e) from None
        kid = self._kids.pop(name, None)
        if kid is not None:
            self.fs.open_dirs.pop(kid, None)
            kid.close_fd()

    def rename(self, t: Any, name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        assert isinstance(new_dir, WritableHostInode)
        kid = self.lookup(t, name)
        _check(_libc.renameat2(self.dirfd(), name, new_dir.dirfd(), new_name, flags))
        other = new_dir._kids.pop(new_name, None)
        if not flags & 2:
            _forget(self.fs, other)  # replaced, maybe gone from the host
        self._kids.pop(name, None)
        assert isinstance(kid, WritableHostInode)
        kid.parent, kid.name = new_dir, new_name
        new_dir._kids[new_name] = kid
        if flags & 2 and other is not None:  # RENAME_EXCHANGE: the other one moved here
            other.parent, other.name = self, name
            self._kids[name] = other

    # --- open -------------------------------------------------------------------------
    def open(self, t: Any, vd: Any, flags: int) -> Any:
        if self._dir:
            return super().open(t, vd, flags)
        f = WritableHostFile(flags, vd, self)
        if flags & O_ACCMODE != O_RDONLY and not self._fd_writable:
            f.release()
            raise EACCES()  # the host would not let the Sentry write it
        return f

    def open_host(self) -> int:
        """The shared fd: read-write when the host allows (else read-only)."""
        try:
            fd = self._open_rw()
            self._fd_writable = True
            return fd
        except (EACCES, EPERM, EROFS, ETXTBSY):
            self._fd_writable = False
            return super().open_host()

    # --- extended attributes ----------------------------------------------------------
    def setxattr(self, name: bytes, value: bytes, flags: int) -> None:
        if not name.startswith(b"user."):
            raise ENOTSUP()
        try:
            os.setxattr(self._xattr_path(), name, value, flags, follow_symlinks=self._dir)
        except OSError as e:
            raise sys_error(e) from None

    def removexattr(self, name: bytes) -> None:
        if not name.startswith(b"user."):
            raise ENOTSUP()
        try:
            os.removexattr(self._xattr_path(), name, follow_symlinks=self._dir)
        except OSError as e:
            raise sys_error(e) from None


WritableHostFS.inode_class = WritableHostInode


def _forget(fs: HostFS, kid: WritableHostInode | None) -> None:
    """Closes the idle host fd of a file whose name went, so that the host frees its
    blocks once nothing in the sandbox has it open (open files keep theirs)."""
    if kid is not None and kid._file_users == 0:
        fs.idle_files.pop(kid, None)
        kid.close_file_fd()


class WritableHostFile(HostFile):
    """An open regular file of a rw bind: reads and writes on the inode's shared fd."""

    def pwrite_at(self, data: bytes, off: int) -> int:
        try:
            return os.pwrite(self.host_fd, data, off) if data else 0
        except OSError as e:
            raise sys_error(e) from None

    def size(self) -> int:
        try:
            return os.fstat(self.host_fd).st_size
        except OSError as e:
            raise sys_error(e) from None

    def truncate_at(self, size: int) -> None:
        try:
            os.ftruncate(self.host_fd, size)
        except OSError as e:
            raise sys_error(e) from None

    def allocate(self, mode: int, off: int, length: int) -> None:
        if _libc.fallocate(self.host_fd, mode, ctypes.c_long(off), ctypes.c_long(length)):
            raise sys_error(OSError(ctypes.get_errno(), "fallocate"))

    def fsync(self) -> None:
        try:
            os.fsync(self.host_fd)
        except OSError as e:
            raise sys_error(e) from None

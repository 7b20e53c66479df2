"""Inode and FileSystem: the interface every filesystem implementation provides.

Core calls these after it has resolved the path and checked permissions, read-only
mounts and the kinds of the files involved; implementations check only what depends on
their own state (ENOENT, EEXIST, ENOTEMPTY …). Methods that depend on the caller (procfs)
receive the calling Task as `t`.
"""

from __future__ import annotations

import itertools
import os
from sentry.record import dataclass
from typing import TYPE_CHECKING, Any

from sentry.abi.errno import EINVAL, ENODATA, ENOTDIR, ENXIO, EPERM, ENOTSUP
from sentry.abi.stat import S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, Stat, StatFs, pack_stat

if TYPE_CHECKING:
    from sentry.vfs.dentry import VirtualDentry
    from sentry.vfs.file import FileDescription

_anon_dev = itertools.count(64)


def new_anon_dev() -> int:
    """A device number for a Sentry-made filesystem (Linux's anonymous 0:N devices)."""
    return os.makedev(0, next(_anon_dev))


@dataclass
class DirEntry:
    """One getdents64 record."""

    name: bytes
    ino: int
    dtype: int


@dataclass
class SetAttr:
    """The attributes a setattr changes (None: unchanged). Times are nanoseconds."""

    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    size: int | None = None
    atime_ns: int | None = None
    mtime_ns: int | None = None

    def apply(self, inode: Any, now_ns: int) -> None:
        """Sets the mode bits (keeping the file type), owner and times this asks for on an
        in-memory inode (fields mode_, uid, gid, atime, mtime, ctime); ctime becomes now.
        The size is the filesystem's own business."""
        if self.mode is not None:
            inode.mode_ = inode.mode_ & S_IFMT | self.mode & 0o7777
        if self.uid is not None:
            inode.uid = self.uid
        if self.gid is not None:
            inode.gid = self.gid
        if self.atime_ns is not None:
            inode.atime = self.atime_ns
        if self.mtime_ns is not None:
            inode.mtime = self.mtime_ns
        inode.ctime = now_ns


class FileSystem:
    """One filesystem instance (what a Mount shows)."""

    name = "none"  # the type, as in /proc/filesystems and /proc/mounts
    magic = 0  # statfs f_type
    read_only = False
    # Whether core may cache child dentries (False for procfs: its contents depend on time).
    cache_dentries = True
    # Whether renameat2(RENAME_WHITEOUT) works (mknod of a 0:0 char device at the old name).
    whiteouts = False

    def __init__(self) -> None:
        self.dev = new_anon_dev()

    def statfs(self) -> StatFs:
        return StatFs(type=self.magic, fsid=(os.minor(self.dev), os.major(self.dev)))

    mount_source = ""  # the source mount(2) named, if any

    def source(self) -> str:
        """The source column of /proc/mounts."""
        return self.mount_source or self.name


class Inode:
    """A file in some filesystem. Subclasses override what their kind supports."""

    fs: FileSystem
    # Opens itself whatever its kind (a terminal, a magic link), not through the VFS's
    # device table.
    self_opening = False
    # An O_TMPFILE file that linkat may still name (Linux's I_LINKABLE).
    is_tmpfile = False

    # --- attributes -------------------------------------------------------------------
    def stat(self) -> Stat:
        """Every filesystem's inodes report attributes (an abstract method in all but name)."""
        raise TypeError(f"{type(self).__name__} does not implement stat()")

    def stat_bytes(self) -> bytes:
        """stat() as the x86-64 `struct stat` (a filesystem may build it more cheaply)."""
        return pack_stat(self.stat())

    def access_stat(self) -> Stat:
        """Attributes for permission checks during a walk: may be cached (mode, uid, gid)."""
        return self.stat()

    @property
    def mode(self) -> int:
        return self.stat().mode

    def is_dir(self) -> bool:
        return self.mode & S_IFMT == S_IFDIR

    def is_symlink(self) -> bool:
        return self.mode & S_IFMT == S_IFLNK

    def is_reg(self) -> bool:
        return self.mode & S_IFMT == S_IFREG

    def setattr(self, t: Any, attrs: SetAttr) -> None:
        raise EPERM()

    # --- directories ------------------------------------------------------------------
    def lookup(self, t: Any, name: bytes) -> Inode:
        """The child `name` (never '.' or '..'); ENOENT if absent."""
        raise ENOTDIR()

    def iterdir(self, t: Any) -> list[DirEntry]:
        """The entries, without '.' and '..'."""
        raise ENOTDIR()

    def create(self, t: Any, name: bytes, mode: int) -> Inode:
        """Creates a regular file (EEXIST if the name exists)."""
        raise EPERM()

    def mkdir(self, t: Any, name: bytes, mode: int) -> Inode:
        raise EPERM()

    def tmpfile(self, t: Any, mode: int) -> Inode:
        """An unnamed regular file on this directory's filesystem (O_TMPFILE)."""
        raise ENOTSUP()

    def mknod(self, t: Any, name: bytes, mode: int, rdev: int) -> Inode:
        raise EPERM()

    def symlink(self, t: Any, name: bytes, target: bytes) -> Inode:
        raise EPERM()

    def link(self, t: Any, name: bytes, target: Inode) -> Inode:
        """Makes `name` a new link to `target` (same filesystem; core checked EXDEV)."""
        raise EPERM()

    def unlink(self, t: Any, name: bytes) -> None:
        raise EPERM()

    def rmdir(self, t: Any, name: bytes) -> None:
        raise EPERM()

    def rename(self, t: Any, name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        """Moves `name` to new_dir/new_name, replacing a compatible target (core checked kinds)."""
        raise EPERM()

    # --- symlinks ---------------------------------------------------------------------
    def readlink(self, t: Any) -> bytes:
        raise EINVAL()

    def follow_link(self, t: Any) -> VirtualDentry | None:
        """For magic links (/proc/self/fd/N, exe, cwd): the file itself; None for plain links."""
        return None

    # --- open -------------------------------------------------------------------------
    def open(self, t: Any, vd: VirtualDentry, flags: int) -> FileDescription:
        """A new file description (core handled O_PATH, devices and permissions)."""
        raise ENXIO()

    # --- extended attributes ----------------------------------------------------------
    def getxattr(self, name: bytes) -> bytes:
        raise ENODATA()

    def listxattr(self) -> list[bytes]:
        return []

    def setxattr(self, name: bytes, value: bytes, flags: int) -> None:
        raise ENOTSUP()

    def removexattr(self, name: bytes) -> None:
        raise ENOTSUP()

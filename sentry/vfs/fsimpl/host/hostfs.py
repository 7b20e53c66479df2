"""hostfs: a host directory tree, read-only, walked one component at a time.

Safety: every directory is held as an O_PATH|O_NOFOLLOW fd and each child is reached with
*at calls relative to its parent's fd and a single name (never a '/', never '..'), with
AT_SYMLINK_NOFOLLOW / O_NOFOLLOW. Host symlinks are read with readlinkat and followed by
the Sentry's own path walk inside the sandbox root, so they cannot lead out of it.
Regular files are opened O_RDONLY|O_NOFOLLOW and checked to still be regular files.
Device nodes are never opened on the host: core routes them to the Sentry's devices.
Host values are passed through in stat (st_dev, st_ino, nlink, sizes, times, uid/gid).
With `exclusive` (gVisor's --file-access=exclusive, the default for the root filesystem:
nothing outside the sandbox changes the tree while it runs) an inode's attributes, and
the names a directory lacks, are fetched from the host once and served from the Sentry
afterwards; without it (bind mounts, --file-access=shared) every stat asks the host.
This module (with netstack/hostinet) is where OSError becomes SysError.
"""

from __future__ import annotations

import ctypes
import errno as host_errno
import os
import stat as pystat
import struct
from collections import OrderedDict
from itertools import islice
from typing import Any

from sentry.abi.errno import (
    BY_NUMBER, EBADF, EFAULT, EIO, ENODATA, ENOENT, ENOTDIR, EROFS, SysError,
)
from sentry.abi.stat import S_IFDIR, S_IFMT, S_IFREG, Stat, StatFs, dtype_of
from sentry.platform.native import ffi, lib
from sentry.vfs.constants import O_ACCMODE, O_PATH, O_RDONLY, O_RDWR
from sentry.vfs.file import DirectoryFile, FileDescription, SeekableFile
from sentry.vfs.inode import DirEntry, FileSystem, Inode, SetAttr

_O_PATH_DIR = os.O_PATH | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC
_libc = ctypes.CDLL(None, use_errno=True)


_AT_EMPTY_PATH, _AT_SYMLINK_NOFOLLOW = 0x1000, 0x100
MAX_ABSENT = 256  # missing names remembered per directory (HostInode.absent)
_stat_buf = ffi.new("char[144]")
_stat_bytes = ffi.buffer


def sys_error(e: OSError) -> SysError:
    """The guest errno for a host OSError (EIO if the host's errno is unknown)."""
    cls = BY_NUMBER.get(e.errno or 0)
    return cls() if cls else EIO()


# Directory fds kept open at once; older ones are closed and reopened (and checked to
# be the same directory) when needed again, so walking a big tree cannot exhaust fds.
MAX_DIR_FDS = 2048
# Regular files: one host fd per inode, shared by every open file description of it
# (they read with pread at their own offsets). After the last close the fd stays open
# for the next open of the same file, up to this many idle ones (open+close of a file
# is then no host call at all).
MAX_IDLE_FILE_FDS = 64


def host_fstatfs(fd: int) -> StatFs:
    """The host's fstatfs(2) of a Sentry-held fd."""
    buf = ctypes.create_string_buffer(120)
    if _libc.fstatfs(fd, buf) != 0:
        raise sys_error(OSError(ctypes.get_errno(), "fstatfs"))
    v = struct.unpack("<qqQQQQQiiqqq32x", buf.raw)
    return StatFs(type=v[0], bsize=v[1], blocks=v[2], bfree=v[3], bavail=v[4], files=v[5],
                  ffree=v[6], fsid=(v[7], v[8]), namelen=v[9], frsize=v[10], flags=v[11])


class HostFS(FileSystem):
    """A read-only filesystem showing the host directory `root`."""

    name = "hostfs"
    read_only = True
    inode_class: type[HostInode]  # set below (WritableHostFS: its own kind)

    def __init__(self, root: str, max_dir_fds: int = MAX_DIR_FDS,
                 exclusive: bool = False) -> None:
        super().__init__()
        self.root_path = root
        self.exclusive = exclusive  # attributes may be cached (see the module doc)
        self.max_dir_fds = max_dir_fds
        self.open_dirs: OrderedDict[HostInode, None] = OrderedDict()
        self.idle_files: OrderedDict[HostInode, None] = OrderedDict()
        try:
            fd = os.open(root, _O_PATH_DIR & ~os.O_NOFOLLOW)
        except OSError as e:
            raise sys_error(e) from None
        self.root = self.inode_class(self, None, b"", os.fstat(fd), fd)

    def opened(self, inode: HostInode) -> None:
        """Marks inode's dir fd most recently used, closing the least recent beyond the cap."""
        d = self.open_dirs
        d[inode] = None
        d.move_to_end(inode)
        excess = len(d) - self.max_dir_fds
        if excess <= 0:
            return
        # The root stays open (every reopen starts there), and so does the one in use.
        for old in list(islice(d, excess + 2)):
            if excess == 0:
                break
            if old is not inode and old.parent is not None:
                del d[old]
                old.close_fd()
                excess -= 1

    def evict_idle(self) -> None:
        """Drops the least recently idle inode from idle_files (over its cap), closing its
        fd unless it is in use again (its last release lists it anew)."""
        old, _ = self.idle_files.popitem(last=False)
        old.close_file_fd()

    def source(self) -> str:
        return self.root_path

    def statfs(self) -> StatFs:
        return self.root.statfs_host()


class HostInode(Inode):
    """A host file: directories hold an O_PATH fd (see MAX_DIR_FDS); other files are
    (parent directory, name)."""

    def __init__(self, fs: HostFS, parent: HostInode | None, name: bytes,
                 st: os.stat_result, fd: int = -1) -> None:
        self.fs = fs
        self.parent = parent
        self.name = name
        self._fd = fd
        self._mode = st.st_mode
        self._perm = Stat.from_host(st)  # the host tree is read-only: cache for walks
        self._id = (st.st_dev, st.st_ino)
        self._dir = pystat.S_ISDIR(st.st_mode)
        self._file_fd = -1  # regular files: the fd HostFiles share (acquire_file_fd)
        self._st: os.stat_result | None = None  # exclusive fs: the host's attributes
        self._st_raw: bytes | None = None  # exclusive fs: the same as a struct stat
        self._file_users = 0
        # The loader's parse of this file's ELF headers (kernel/loader.py), on an exclusive
        # fs only, where the file cannot change under the Sentry.
        self.elf_headers: tuple | None = None
        self.elf_rows: dict = {}  # and its mapping rows (loader.map_elf), by placement
        # Names this directory lacks, on an exclusive read-only fs only, where no name can
        # appear under the Sentry (the overlay's creates go to its upper layer): a missing
        # file probed again (ld.so's /etc/ld.so.preload at every exec) asks the host once.
        self.absent: set[bytes] | None = (
            set() if fs.exclusive and fs.read_only and self._dir else None)
        if fd >= 0:
            fs.opened(self)

    def __del__(self) -> None:
        self.close_fd()

    def close_fd(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def dirfd(self) -> int:
        """This directory's O_PATH fd, reopened from the parent if it was closed."""
        if self._fd < 0:
            if not self._dir or self.parent is None:
                raise ENOTDIR()
            self._fd = self.reopen(_O_PATH_DIR)
        self.fs.opened(self)
        return self._fd

    def reopen(self, flags: int) -> int:
        """Opens this very file again by its name in the parent (never following a host
        symlink: `flags` carry O_NOFOLLOW); ENOENT if the name now holds another file."""
        try:
            fd = os.open(self.name, flags, dir_fd=self.parent.dirfd())
        except OSError as e:
            raise sys_error(e) from None
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != self._id:
            os.close(fd)
            raise ENOENT()  # replaced on the host since we looked it up
        return fd

    @property
    def mode(self) -> int:
        return self._mode

    @property
    def host_id(self) -> tuple[int, int]:
        """(st_dev, st_ino) of the host file, as looked up."""
        return self._id

    def host_stat(self) -> os.stat_result:
        if self._st is not None:
            return self._st
        try:
            if self._dir:
                st = os.fstat(self.dirfd())
            else:
                st = os.stat(self.name, dir_fd=self.parent.dirfd(), follow_symlinks=False)
        except OSError as e:
            raise sys_error(e) from None
        if self.fs.exclusive:
            self._st = st
        return st

    def stat(self) -> Stat:
        return Stat.from_host(self.host_stat())

    def stat_bytes(self) -> bytes:
        """The host's struct stat as is (what stat() passes through, without the objects)."""
        if self._st_raw is not None:
            return self._st_raw
        if self._dir:
            rc = lib.st_fstatat_raw(self.dirfd(), b"", _AT_EMPTY_PATH, _stat_buf)
        else:
            rc = lib.st_fstatat_raw(self.parent.dirfd(), self.name, _AT_SYMLINK_NOFOLLOW,
                                    _stat_buf)
        if rc < 0:
            cls = BY_NUMBER.get(-rc)
            raise cls() if cls else EIO()
        raw = _stat_bytes(_stat_buf, 144)[:]
        if self.fs.exclusive:
            self._st_raw = raw
        return raw

    def access_stat(self) -> Stat:
        return self._perm

    def setattr(self, t: Any, attrs: SetAttr) -> None:
        raise EROFS()

    def statfs_host(self) -> StatFs:
        return host_fstatfs(self.dirfd() if self._dir else self.parent.dirfd())

    # --- directories ------------------------------------------------------------------
    def lookup(self, t: Any, name: bytes) -> Inode:
        if not self._dir:
            raise ENOTDIR()
        assert b"/" not in name and name not in (b".", b"..", b"")
        absent = self.absent
        if absent is not None and name in absent:
            raise ENOENT()
        try:
            st = os.stat(name, dir_fd=self.dirfd(), follow_symlinks=False)
            if not pystat.S_ISDIR(st.st_mode):
                return self.fs.inode_class(self.fs, self, name, st)
            fd = os.open(name, _O_PATH_DIR, dir_fd=self.dirfd())
        except OSError as e:
            if absent is not None and e.errno == host_errno.ENOENT and len(absent) < MAX_ABSENT:
                absent.add(name)
            raise sys_error(e) from None
        st = os.fstat(fd)  # the directory we actually hold (it may have been replaced)
        return self.fs.inode_class(self.fs, self, name, st, fd)

    def iterdir(self, t: Any) -> list[DirEntry]:
        if not self._dir:
            raise ENOTDIR()
        out = []
        try:
            fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self.dirfd())
            try:
                with os.scandir(fd) as it:
                    for e in it:
                        out.append(DirEntry(os.fsencode(e.name), e.inode(), _dtype(e)))
            finally:
                os.close(fd)
        except OSError as e:
            raise sys_error(e) from None
        return out

    # --- symlinks, open ---------------------------------------------------------------
    def readlink(self, t: Any) -> bytes:
        if self.parent is None:
            raise ENOENT()
        try:
            return os.readlink(self.name, dir_fd=self.parent.dirfd())
        except OSError as e:
            raise sys_error(e) from None

    def open(self, t: Any, vd: Any, flags: int) -> Any:
        if self._mode & S_IFMT == S_IFDIR:
            return DirectoryFile(flags, vd)
        return HostFile(flags, vd, self)

    def acquire_file_fd(self) -> int:
        """The shared host fd of this regular file, counted as one more user. An inode in
        use may stay on the idle list (no list change per open): evict_idle closes only
        the fd of an unused one, and the last user's release puts the inode back."""
        if self._file_fd < 0:
            self._file_fd = self.open_host()
        self._file_users += 1
        return self._file_fd

    def release_file_fd(self) -> None:
        """One user fewer; the last one leaves the fd idle for a later open (most recently
        idle last), the least recently idle one closed beyond the cap (HostFS.evict_idle)."""
        self._file_users -= 1
        if self._file_users == 0:
            idle = self.fs.idle_files
            if self in idle:
                idle.move_to_end(self)
            else:
                idle[self] = None
                if len(idle) > MAX_IDLE_FILE_FDS:
                    self.fs.evict_idle()

    def close_file_fd(self) -> None:
        if self._file_fd >= 0 and self._file_users == 0:
            os.close(self._file_fd)
            self._file_fd = -1

    def open_host(self) -> int:
        """A new host O_RDONLY fd of this regular file (the caller closes it)."""
        if self.parent is None or self._mode & S_IFMT != S_IFREG:
            raise EIO()
        try:
            fd = os.open(self.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                         dir_fd=self.parent.dirfd())
        except OSError as e:
            raise sys_error(e) from None
        if not pystat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise EIO()
        return fd

    # --- extended attributes (read through the Sentry's own /proc/self/fd) --------------
    def _xattr_path(self) -> str:
        if self._dir:
            return f"/proc/self/fd/{self.dirfd()}"
        return f"/proc/self/fd/{self.parent.dirfd()}/{os.fsdecode(self.name)}"

    def getxattr(self, name: bytes) -> bytes:
        try:
            return os.getxattr(self._xattr_path(), name, follow_symlinks=self._dir)
        except OSError as e:
            if e.errno in (host_errno.ENOTSUP, host_errno.ENOENT, host_errno.EPERM):
                raise ENODATA() from None
            raise sys_error(e) from None

    def listxattr(self) -> list[bytes]:
        try:
            names = os.listxattr(self._xattr_path(), follow_symlinks=self._dir)
        except OSError:
            return []
        return [os.fsencode(n) for n in names]

    def setxattr(self, name: bytes, value: bytes, flags: int) -> None:
        raise EROFS()

    def removexattr(self, name: bytes) -> None:
        raise EROFS()


HostFS.inode_class = HostInode


def _dtype(e: os.DirEntry) -> int:
    if e.is_dir(follow_symlinks=False):
        return 4
    if e.is_file(follow_symlinks=False):
        return 8
    if e.is_symlink():
        return 10
    try:
        return dtype_of(e.stat(follow_symlinks=False).st_mode)
    except OSError:
        return 0


_SMALL_READ = 1 << 20  # reads up to this size skip the size check (one host call fewer)


class HostFile(SeekableFile):
    """An open host regular file (read-only: writes were copied up by the overlay).

    Its host fd is the inode's shared one (HostInode.acquire_file_fd): every access is
    positional, so descriptions never disturb each other's offsets.
    """

    def __init__(self, flags: int, vd: Any, inode: HostInode) -> None:
        # (Every open of a host file runs this: no super() object, no property call.)
        FileDescription.__init__(self, flags, vd)
        # read_to's check, FileDescription.readable (O_PATH and the access mode stay).
        self._readable = not flags & O_PATH and flags & O_ACCMODE in (O_RDONLY, O_RDWR)
        self.host_fd = inode.acquire_file_fd()
        self._host_inode: HostInode | None = inode

    def release(self) -> None:
        inode, self._host_inode = self._host_inode, None
        if inode is not None:
            self.host_fd = -1
            inode.release_file_fd()

    __del__ = release  # idempotent: a description never installed closes its fd too

    @property
    def immutable_inode(self) -> HostInode | None:
        """Its inode when the host file cannot change under the Sentry (a file system with
        exclusive file access, the read-only root's lower layer): what the Sentry learns
        of it may be kept, and a host fd of it pins nothing. Else None."""
        inode = self._host_inode
        return inode if inode is not None and inode.fs.exclusive else None

    def copy_to(self, out_fd: int) -> None:
        """Copies the whole file into out_fd from offset 0 (overlay copy-up)."""
        off = 0
        try:
            while n := os.sendfile(out_fd, self.host_fd, off, 1 << 20):
                off += n
        except OSError as e:
            raise sys_error(e) from None

    def pread_at(self, n: int, off: int) -> bytes:
        try:
            if n > _SMALL_READ:  # do not allocate a huge buffer past the end of the file
                n = min(n, max(0, os.fstat(self.host_fd).st_size - off))
            return os.pread(self.host_fd, n, off) if n else b""
        except OSError as e:
            raise sys_error(e) from None

    def read_to(self, mem: Any, addr: int, n: int) -> int:
        """read(2) in one C call where the memory is a task's (no bytes object between)."""
        if not self._readable:
            raise EBADF()
        pread_to = mem.pread_to
        if pread_to is None:
            data = self.pread_at(n, self.offset)
            got, done = len(data), mem.write_partial(addr, data)
        else:
            done = pread_to(self.host_fd, self.offset, n, addr)
            if done < 0:
                cls = BY_NUMBER.get(-done)
                raise cls() if cls else EIO()
            got = done if done == n else mem.backend.pread_got()
        self.offset += done
        if got and not done:
            raise EFAULT()
        return done

    def pwrite_at(self, data: bytes, off: int) -> int:
        raise EROFS()

    def size(self) -> int:
        return os.fstat(self.host_fd).st_size

    def mmap_fd(self, prot: int, flags: int) -> int:
        self._check_mmap(prot, flags)
        return self.host_fd

"""tmpfs: directories, symlinks and device nodes in Python objects; file data in memfds.

A regular file's bytes live in a host memfd the Sentry owns (MFD_CLOEXEC), so mmap_fd can
give the host a real fd to map (MAP_SHARED mappings then see writes, as on Linux).

Size limit (mount option size=): as Linux's shmem, the pages the files hold are counted
(a sparse file counts only its allocated pages; the host memfd's st_blocks tells them).
A write that would go beyond the limit writes the pages that fit and returns that count,
or fails with ENOSPC if none fit; truncate never allocates, fallocate is all or nothing.
nr_inodes= bounds the inodes (a hard link counts as one, as on Linux): ENOSPC beyond.
statfs reports the limits. Not counted: pages a MAP_SHARED mapping dirties (Linux would
SIGBUS the writer; here they are taken from the host). Fallocated pages are zero-filled
when a limit is set, so they read as data to SEEK_DATA (Linux: holes until written);
pages fallocated with KEEP_SIZE beyond the end of the file are counted again when a
write reaches them (an early ENOSPC in that corner).
"""

from __future__ import annotations

import ctypes
import errno
import itertools
import os
import time
from typing import Any

from sentry.abi.errno import (
    EBUSY, EEXIST, EFBIG, EINVAL, EIO, ENODATA, ENOENT, ENOSPC, ENOTEMPTY, ENOTSUP, EOPNOTSUPP,
    ERANGE,
)
from sentry.abi.stat import S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, Stat, StatFs, dtype_of
from sentry.vfs.constants import RENAME_EXCHANGE
from sentry.vfs.file import DirectoryFile, SeekableFile
from sentry.vfs.fsimpl.tmpfs import seals as sl
from sentry.vfs.inode import DirEntry, FileSystem, Inode, SetAttr

TMPFS_MAGIC = 0x01021994
BOGO_DIRENT_SIZE = 20  # Linux tmpfs reports a directory's size as 20 bytes per entry
MAX_FILE_SIZE = 1 << 40
XATTR_CREATE, XATTR_REPLACE = 1, 2
PAGE = 4096
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 1, 2
_libc = ctypes.CDLL(None, use_errno=True)
_libc.fallocate.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long)
_libc.lseek.argtypes = (ctypes.c_int, ctypes.c_long, ctypes.c_int)
_libc.lseek.restype = ctypes.c_long
_libc.fcntl.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int)
F_ADD_SEALS = 1033


def _host_seal(fd: int, seals: int) -> None:
    """Adds seals to the host memfd the tasks map: EBUSY while F_SEAL_WRITE finds a
    writable shared mapping (the host knows every task's mappings)."""
    if _libc.fcntl(fd, F_ADD_SEALS, seals) != 0:
        raise (EBUSY if ctypes.get_errno() == errno.EBUSY else EIO)()


def _fallocate(fd: int, mode: int, off: int, length: int) -> None:
    if _libc.fallocate(fd, mode, off, length) != 0:
        err = ctypes.get_errno()
        raise (ENOSPC if err == errno.ENOSPC else EIO)()


def _holes(fd: int, start: int, end: int) -> list[tuple[int, int]]:
    """The page-aligned holes (unallocated ranges) of memfd `fd` within the pages that
    cover [start, end), in order."""
    lo, hi = start // PAGE * PAGE, -(-end // PAGE) * PAGE
    out: list[tuple[int, int]] = []
    pos = lo
    while pos < hi:
        data = _libc.lseek(fd, pos, os.SEEK_DATA)
        if data < 0:  # ENXIO: no data from pos to the end of the file
            data = hi
        if data > pos:
            out.append((pos, min(data, hi)))
        if data >= hi:
            break
        pos = os.lseek(fd, data, os.SEEK_HOLE)
    return out


def _fill_holes(fd: int, start: int, end: int) -> None:
    """Writes zeros over the holes of [start, end) below the end of the file, so that the
    pages fallocate allocated show as data to SEEK_DATA (the host's shmem shows them as
    holes until written, and hole_pages must not count them again)."""
    size = os.fstat(fd).st_size
    for a, b in _holes(fd, start, min(end, size)):
        b = min(b, size)
        while a < b:
            a += os.pwrite(fd, bytes(min(b - a, 1 << 20)), a)


def hole_pages(fd: int, start: int, end: int) -> int:
    """Pages a write or fallocate of [start, end) would allocate."""
    return sum((b - a) // PAGE for a, b in _holes(fd, start, end))


def fitting_bytes(fd: int, off: int, n: int, room: int) -> int:
    """How many of n bytes written at off fit when `room` more pages may be allocated:
    all of them, or up to the first page that does not fit (Linux writes page by page)."""
    for a, b in _holes(fd, off, off + n):
        pages = (b - a) // PAGE
        if pages > room:
            return max(0, a + room * PAGE - off)
        room -= pages
    return n


def _memparse(val: str) -> int:
    """Linux's memparse: an unsigned number (0x… hex, 0… octal) with an optional
    k/m/g/t/p/e suffix; ValueError for anything else (a sign included)."""
    mul = 1 << 10 * (" kmgtpe".index(val[-1].lower()) if val[-1:].isalpha() else 0)
    num = val[:-1] if val[-1:].isalpha() else val
    if num[:2].lower() == "0x":
        n = int(num[2:], 16)
    elif len(num) > 1 and num[0] == "0":
        n = int(num[1:], 8)
    else:
        n = _unsigned(num)
    if num[:1] in ("-", "+") or num[2:3] in ("-", "+"):
        raise ValueError(val)
    return n * mul


_LONG_MAX = (1 << 63) - 1


def default_tmpfs_pages() -> int:
    """Linux tmpfs's default size and inode count alike: half of the RAM's pages."""
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // PAGE // 2


def parse_size(options: list[str]) -> int:
    """The page limit of tmpfs mount options size=N[kmgtpe] or N% (of RAM), nr_blocks=N;
    0 without one (unlimited, as size=0). ValueError for a malformed value, or an
    nr_blocks past LONG_MAX (Linux's shmem_parse_one; a size wraps at 2**64 as memparse)."""
    pages = 0
    for o in options:
        key, _, val = o.partition("=")
        if key == "nr_blocks":
            pages = _memparse(val)
            if pages > _LONG_MAX:
                raise ValueError(o)
        elif key == "size":
            if val.endswith("%"):
                ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
                size = ram * _unsigned(val[:-1]) // 100
            else:
                size = _memparse(val) % (1 << 64)
            pages = -(-size // PAGE)
    return pages


def parse_inodes(options: list[str]) -> int:
    """nr_inodes=N[kmg] (0: unlimited); ValueError for a malformed value, or one past
    ULONG_MAX / 1024 (Linux's BOGO_INODE_SIZE)."""
    n = 0
    for o in options:
        key, _, val = o.partition("=")
        if key == "nr_inodes":
            n = _memparse(val)
            if n > ((1 << 64) - 1) // 1024:
                raise ValueError(o)
    return n


def _unsigned(text: str) -> int:
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def tmpfs_limits(options: list[str]) -> tuple[int, int]:
    """(pages, inodes) of a tmpfs mount: size=/nr_blocks= and nr_inodes= if given (0:
    unlimited), else Linux's defaults (half of RAM, half of its pages)."""
    given = {o.partition("=")[0] for o in options}
    pages = parse_size(options) if given & {"size", "nr_blocks"} else default_tmpfs_pages()
    inodes = parse_inodes(options) if "nr_inodes" in given else default_tmpfs_pages()
    return pages, inodes


class TmpfsFS(FileSystem):
    name = "tmpfs"
    magic = TMPFS_MAGIC
    whiteouts = True  # renameat2(RENAME_WHITEOUT), as Linux's shmem
    sealable = False  # memfd_create's filesystem: files may start without F_SEAL_SEAL

    def __init__(self, max_pages: int = 0, max_inodes: int = 0) -> None:
        super().__init__()
        self._ino = itertools.count(1)
        self.max_pages = max_pages  # 0: no limit
        self.used_pages = 0
        self.max_inodes = max_inodes  # 0: no limit (statfs shows Linux's default)
        self.used_inodes = 0  # inodes alive plus extra hard links, as Linux's shmem

    def reserve_inode(self) -> None:
        """One inode (or hard link) more: ENOSPC beyond nr_inodes=."""
        if self.max_inodes and self.used_inodes >= self.max_inodes:
            raise ENOSPC()
        self.used_inodes += 1

    def next_ino(self) -> int:
        return next(self._ino)

    def new_inode(self, mode: int, uid: int = 0, gid: int = 0, rdev: int = 0) -> TmpfsInode:
        return TmpfsInode(self, mode, uid, gid, rdev)

    def root(self, mode: int = 0o1777) -> TmpfsInode:
        """A new root directory (Linux's tmpfs root is 1777 by default)."""
        return self.new_inode(S_IFDIR | mode)

    def statfs(self) -> StatFs:
        s = super().statfs()
        if self.max_pages:
            s.blocks = self.max_pages
            s.bfree = s.bavail = max(0, self.max_pages - self.used_pages)
        else:
            s.blocks = s.bfree = s.bavail = 1 << 20
        s.files = self.max_inodes or os.sysconf("SC_PHYS_PAGES") // 2  # Linux's default
        s.ffree = max(0, s.files - self.used_inodes)
        return s

    def room(self) -> int:
        """Pages that may still be allocated (a large number without a limit)."""
        return self.max_pages - self.used_pages if self.max_pages else 1 << 62


def _owner(t: Any, parent: TmpfsInode) -> tuple[int, int]:
    """New files' owner: the caller's fsuid/fsgid, or the dir's gid under setgid dirs."""
    uid = t.creds.fsuid if t is not None else 0
    gid = t.creds.fsgid if t is not None else 0
    if parent.mode_ & 0o2000:
        gid = parent.gid
    return uid, gid


class TmpfsInode(Inode):
    """One tmpfs file of any kind."""

    chmod_sealed = True  # F_SEAL_EXEC stops chmod (hugetlbfs does not check it)

    def __init__(self, fs: TmpfsFS, mode: int, uid: int, gid: int, rdev: int = 0) -> None:
        fs.reserve_inode()
        self.fs = fs
        self.ino = fs.next_ino()
        self.mode_ = mode
        self.uid, self.gid, self.rdev = uid, gid, rdev
        self.nlink = 2 if mode & S_IFMT == S_IFDIR else 1
        now = time.time_ns()
        self.atime = self.mtime = self.ctime = self.btime = now
        self.children: dict[bytes, TmpfsInode] = {}
        self.target = b""
        self.xattrs: dict[bytes, bytes] = {}
        self.memfd = -1
        self.pages = 0  # pages of the memfd counted in fs.used_pages
        self.is_tmpfile = False
        self.seals = sl.F_SEAL_SEAL  # (seals.py) memfd_create may clear it
        if mode & S_IFMT == S_IFREG:
            flags = os.MFD_CLOEXEC | (os.MFD_ALLOW_SEALING if fs.sealable else 0)
            self.memfd = os.memfd_create("runsc-tmpfs", flags)

    def __del__(self) -> None:
        if not hasattr(self, "memfd"):
            return  # __init__ failed (ENOSPC): nothing was reserved
        self.fs.used_inodes -= 1
        if self.memfd >= 0:
            os.close(self.memfd)
            self.memfd = -1
            self.fs.used_pages -= self.pages
            self.pages = 0

    def account(self) -> None:
        """Brings fs.used_pages up to date with the pages the memfd holds now."""
        if self.memfd >= 0:
            now = -(-os.fstat(self.memfd).st_blocks // (PAGE // 512))
            self.fs.used_pages += now - self.pages
            self.pages = now

    # --- attributes -------------------------------------------------------------------
    @property
    def mode(self) -> int:
        return self.mode_

    def size(self) -> int:
        kind = self.mode_ & S_IFMT
        if kind == S_IFREG:
            return os.fstat(self.memfd).st_size
        if kind == S_IFDIR:
            return (len(self.children) + 2) * BOGO_DIRENT_SIZE
        if kind == S_IFLNK:
            return len(self.target)
        return 0

    def stat(self) -> Stat:
        size = self.size()
        blocks = os.fstat(self.memfd).st_blocks if self.memfd >= 0 else 0
        return Stat(
            dev=self.fs.dev, ino=self.ino, nlink=self.nlink, mode=self.mode_, uid=self.uid,
            gid=self.gid, rdev=self.rdev, size=size, blksize=4096, blocks=blocks,
            atime_ns=self.atime, mtime_ns=self.mtime, ctime_ns=self.ctime, btime_ns=self.btime,
        )

    def touch(self, m: bool = True) -> None:
        now = time.time_ns()
        self.ctime = now
        if m:
            self.mtime = now

    def setattr(self, t: Any, attrs: SetAttr) -> None:
        if self.seals & ~sl.F_SEAL_SEAL:
            if attrs.mode is not None and self.chmod_sealed:
                sl.check_chmod(self.seals, self.mode_, attrs.mode)
            if attrs.size is not None:
                sl.check_truncate(self.seals, self.size(), attrs.size)
        if attrs.size is not None:
            if attrs.size > MAX_FILE_SIZE:
                raise EFBIG()
            os.ftruncate(self.memfd, attrs.size)
            self.account()
            self.mtime = time.time_ns()
        attrs.apply(self, time.time_ns())

    # --- directories ------------------------------------------------------------------
    def lookup(self, t: Any, name: bytes) -> Inode:
        child = self.children.get(name)
        if child is None:
            raise ENOENT()
        return child

    def iterdir(self, t: Any) -> list[DirEntry]:
        return [DirEntry(n, c.ino, dtype_of(c.mode_)) for n, c in self.children.items()]

    def _insert(self, name: bytes, child: TmpfsInode) -> TmpfsInode:
        if name in self.children:
            raise EEXIST()
        self.children[name] = child
        if child.mode_ & S_IFMT == S_IFDIR:
            self.nlink += 1
        self.touch()
        return child

    def create(self, t: Any, name: bytes, mode: int) -> Inode:
        return self._insert(name, self.fs.new_inode(mode, *_owner(t, self)))

    def mkdir(self, t: Any, name: bytes, mode: int) -> Inode:
        if self.mode_ & 0o2000:
            mode |= 0o2000
        return self._insert(name, self.fs.new_inode(mode, *_owner(t, self)))

    def tmpfile(self, t: Any, mode: int) -> Inode:
        node = self.fs.new_inode(mode, *_owner(t, self))
        node.nlink = 0
        node.is_tmpfile = True
        return node

    def mknod(self, t: Any, name: bytes, mode: int, rdev: int) -> Inode:
        return self._insert(name, self.fs.new_inode(mode, *_owner(t, self), rdev))

    def symlink(self, t: Any, name: bytes, target: bytes) -> Inode:
        child = self.fs.new_inode(S_IFLNK | 0o777, *_owner(t, self))
        child.target = target
        return self._insert(name, child)

    def link(self, t: Any, name: bytes, target: Inode) -> Inode:
        assert isinstance(target, TmpfsInode)
        if target.nlink:
            self.fs.reserve_inode()  # Linux's shmem counts a hard link as an inode
        try:
            self._insert(name, target)
        except EEXIST:
            if target.nlink:
                self.fs.used_inodes -= 1
            raise
        target.nlink += 1
        target.touch(False)
        return target

    def _remove(self, name: bytes) -> TmpfsInode:
        child = self.children.pop(name)
        if child.mode_ & S_IFMT == S_IFDIR:
            self.nlink -= 1
            child.nlink = 0
        else:
            if child.nlink > 1:
                self.fs.used_inodes -= 1  # the hard link's reservation
            child.nlink -= 1
        child.touch(False)
        self.touch()
        return child

    def unlink(self, t: Any, name: bytes) -> None:
        if name not in self.children:
            raise ENOENT()
        self._remove(name)

    def rmdir(self, t: Any, name: bytes) -> None:
        child = self.children.get(name)
        if child is None:
            raise ENOENT()
        if child.children:
            raise ENOTEMPTY()
        self._remove(name)

    def rename(self, t: Any, name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        assert isinstance(new_dir, TmpfsInode)
        child = self.children.get(name)
        if child is None:
            raise ENOENT()
        if flags & RENAME_EXCHANGE:
            self._exchange(child, name, new_dir, new_name)
            return
        old = new_dir.children.get(new_name)
        if old is not None:
            if old.mode_ & S_IFMT == S_IFDIR and old.children:
                raise ENOTEMPTY()
            new_dir._remove(new_name)
        del self.children[name]
        if child.mode_ & S_IFMT == S_IFDIR:
            self.nlink -= 1
        self.touch()
        new_dir._insert(new_name, child)
        child.touch(False)

    def _exchange(self, child: TmpfsInode, name: bytes, new_dir: TmpfsInode,
                  new_name: bytes) -> None:
        other = new_dir.children.get(new_name)
        if other is None:
            raise ENOENT()
        self.children[name], new_dir.children[new_name] = other, child
        for moved, frm, to in ((child, self, new_dir), (other, new_dir, self)):
            if moved.mode_ & S_IFMT == S_IFDIR:
                frm.nlink -= 1
                to.nlink += 1
            moved.touch(False)
        self.touch()
        new_dir.touch()

    # --- symlinks, open, xattrs -------------------------------------------------------
    def readlink(self, t: Any) -> bytes:
        if self.mode_ & S_IFMT != S_IFLNK:
            raise EINVAL()
        self.atime = time.time_ns()
        return self.target

    def open(self, t: Any, vd: Any, flags: int) -> Any:
        if self.mode_ & S_IFMT == S_IFDIR:
            return DirectoryFile(flags, vd)
        return TmpfsFile(flags, vd, self)

    def getxattr(self, name: bytes) -> bytes:
        if name not in self.xattrs:
            raise ENODATA()
        return self.xattrs[name]

    def listxattr(self) -> list[bytes]:
        return list(self.xattrs)

    def setxattr(self, name: bytes, value: bytes, flags: int) -> None:
        if not name.startswith((b"user.", b"trusted.", b"security.")):
            raise ENOTSUP()
        if flags & XATTR_CREATE and name in self.xattrs:
            raise EEXIST()
        if flags & XATTR_REPLACE and name not in self.xattrs:
            raise ENODATA()
        if len(value) > 65536:
            raise ERANGE()
        self.xattrs[name] = value
        self.touch(False)

    def removexattr(self, name: bytes) -> None:
        if self.xattrs.pop(name, None) is None:
            raise ENODATA()
        self.touch(False)


class TmpfsFile(SeekableFile):
    """An open tmpfs regular file (also the upper file of an overlay)."""

    def __init__(self, flags: int, vd: Any, inode: TmpfsInode) -> None:
        super().__init__(flags, vd)
        self.node = inode

    def pread_at(self, n: int, off: int) -> bytes:
        n = min(n, max(0, self.node.size() - off))
        return os.pread(self.node.memfd, n, off) if n else b""

    def pwrite_at(self, data: bytes, off: int) -> int:
        if off + len(data) > MAX_FILE_SIZE:
            raise EFBIG()
        if not data:
            return 0
        node = self.node
        if node.seals & ~sl.F_SEAL_SEAL:
            data = data[:sl.writable_bytes(node.seals, off, len(data), node.size())]
        if node.fs.max_pages:
            fit = fitting_bytes(node.memfd, off, len(data), node.fs.room())
            if fit == 0:
                raise ENOSPC()
            data = data[:fit]
        n = os.pwrite(node.memfd, data, off)
        if node.fs.max_pages:
            node.account()
        node.touch()
        return n

    def allocate(self, mode: int, off: int, length: int) -> None:
        """fallocate(2) modes 0 and FALLOC_FL_KEEP_SIZE (all pages or ENOSPC), and
        PUNCH_HOLE|KEEP_SIZE; others: EOPNOTSUPP (as Linux's shmem)."""
        node = self.node
        if off + length > MAX_FILE_SIZE:
            raise EFBIG()
        if mode != FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE and mode & ~FALLOC_FL_KEEP_SIZE:
            raise EOPNOTSUPP()
        sl.check_fallocate(node.seals, mode, off, length, node.size())
        if mode & FALLOC_FL_PUNCH_HOLE:
            _fallocate(node.memfd, mode, off, length)
        else:
            limited = node.fs.max_pages != 0
            if limited and hole_pages(node.memfd, off, off + length) > node.fs.room():
                raise ENOSPC()
            _fallocate(node.memfd, mode, off, length)
            if limited:
                _fill_holes(node.memfd, off, off + length)
        node.account()
        node.touch(mode != FALLOC_FL_KEEP_SIZE)

    def size(self) -> int:
        return self.node.size()

    def truncate_at(self, size: int) -> None:
        self.node.setattr(None, SetAttr(size=size))

    def mmap_fd(self, prot: int, flags: int) -> int:
        self._check_mmap(prot, flags)
        sl.check_mmap(self.node.seals, prot, flags)
        return self.node.memfd

    # --- seals (fcntl F_GET_SEALS / F_ADD_SEALS; sys_fcntl checked the open mode) -------
    def _sealable_node(self) -> TmpfsInode:
        """The inode, when this file is opened on tmpfs (an overlay's upper file is not a
        tmpfs file to the guest: EINVAL, as for any other filesystem)."""
        if self.vd is None or self.vd.mount.fs is not self.node.fs:
            raise EINVAL()
        return self.node

    def get_seals(self) -> int:
        return self._sealable_node().seals

    def add_seals(self, new: int) -> None:
        node = self._sealable_node()
        now = sl.added(node.seals, new, node.mode_)
        if now & sl.F_SEAL_WRITE and not node.seals & sl.F_SEAL_WRITE:
            # (F_SEAL_EXEC's implied one too, as Linux 6.18 checks it)
            _host_seal(node.memfd, sl.F_SEAL_WRITE)  # EBUSY: a writable shared mapping
        elif now & sl.F_SEAL_FUTURE_WRITE and not node.seals & sl.F_SEAL_FUTURE_WRITE:
            _host_seal(node.memfd, sl.F_SEAL_FUTURE_WRITE)  # no new writable mapping
        node.seals = now



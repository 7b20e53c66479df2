"""overlay: a writable tmpfs upper layer over a read-only lower tree (Linux's overlayfs).

- Lookup: an upper entry hides the lower one, except that two directories merge. An
  upper whiteout (a 0:0 character device, as on Linux) hides the lower name; an upper
  directory marked opaque (xattr trusted.overlay.opaque=y) hides the whole lower dir.
- Copy-up: before a write-open, truncate, chmod, chown, utimes, xattr change, link or
  rename, the file (and its parents) is copied into the upper layer with the lower's
  mode, owner and times. A file keeps its lower st_dev/st_ino after copy-up.
- Removal of a name that exists in the lower layer leaves a whiteout; a directory made
  where a whiteout was is opaque.
- Renaming a directory that exists in the lower layer fails with EXDEV (as overlayfs
  without redirect_dir); `mv` then copies.
Overlay inodes are memoised per parent, so an inode is the same object however it was
found: copy-up state is never split between two copies.
"""

from __future__ import annotations

import os
from typing import Any

from sentry.abi.errno import ENOENT, ENOSPC, ENOTEMPTY, EXDEV
from sentry.abi.stat import S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, Stat, StatFs
from sentry.vfs.constants import O_ACCMODE, O_RDONLY, RENAME_EXCHANGE
from sentry.vfs.file import DirectoryFile
from sentry.vfs.fsimpl.tmpfs import TmpfsFS, TmpfsInode
from sentry.vfs.inode import DirEntry, FileSystem, Inode, SetAttr

OVERLAYFS_SUPER_MAGIC = 0x794C7630
OPAQUE = b"trusted.overlay.opaque"
_COPY_CHUNK = 1 << 20
_PAGE = 4096


def is_whiteout(i: TmpfsInode) -> bool:
    return i.mode_ & S_IFMT == S_IFCHR and i.rdev == 0


def _is_opaque(i: TmpfsInode | None) -> bool:
    return i is not None and i.xattrs.get(OPAQUE) == b"y"


class OverlayFS(FileSystem):
    name = "overlay"
    magic = OVERLAYFS_SUPER_MAGIC

    def __init__(self, lower_root: Inode, upper: TmpfsFS | None = None) -> None:
        super().__init__()
        self.upper_fs = upper or TmpfsFS()
        self.lower_fs = lower_root.fs
        # The root's upper directory is made on first change, so an untouched tree shows
        # the lower's attributes exactly.
        self.root = OverlayInode(self, None, b"", None, lower_root)

    def source(self) -> str:
        return "overlay"

    def statfs(self) -> StatFs:
        """The lower filesystem's figures (Linux reports the upper's: ours is memory)."""
        s = self.lower_fs.statfs()
        s.type = self.magic
        return s


class OverlayInode(Inode):
    """A merged file: `upper` (tmpfs, or None before copy-up) over `lower` (or None)."""

    def __init__(self, fs: OverlayFS, parent: OverlayInode | None, name: bytes,
                 upper: TmpfsInode | None, lower: Inode | None) -> None:
        self.fs = fs
        self.parent = parent
        self.name = name
        self.upper = upper
        self.lower = lower
        # The lower file's kind never changes (the overlay never writes it): known once.
        self._lower_dir = lower is not None and lower.is_dir()
        self._kids: dict[bytes, OverlayInode] = {}
        self.is_tmpfile = False

    @property
    def mode(self) -> int:
        return self.upper.mode_ if self.upper is not None else self.lower.mode

    def _merged(self) -> bool:
        """Whether lower directory entries show through."""
        return self._lower_dir and not _is_opaque(self.upper)

    def access_stat(self) -> Stat:
        return self.upper.stat() if self.upper is not None else self.lower.access_stat()

    def stat_bytes(self) -> bytes:
        if self.upper is None:
            return self.lower.stat_bytes()
        return super().stat_bytes()

    def stat(self) -> Stat:
        if self.upper is None:
            return self.lower.stat()
        st = self.upper.stat()
        if self.lower is not None:
            low = self.lower.stat()
            st.dev, st.ino = low.dev, low.ino
            if st.mode & S_IFMT == S_IFDIR:
                st.nlink = low.nlink
        return st

    # --- copy-up ----------------------------------------------------------------------
    def copy_up(self, t: Any = None) -> TmpfsInode:
        """Makes sure this file has an upper copy and returns it."""
        if self.upper is not None:
            return self.upper
        low = self.lower.stat()
        if self.parent is None:
            self.upper = self.fs.upper_fs.new_inode(low.mode, low.uid, low.gid)
            self.upper.atime, self.upper.mtime = low.atime_ns, low.mtime_ns
            return self.upper
        parent_up = self.parent.copy_up(t)
        up = self.fs.upper_fs.new_inode(low.mode, low.uid, low.gid, low.rdev)
        kind = low.mode & S_IFMT
        if kind == S_IFLNK:
            up.target = self.lower.readlink(t)
        elif kind == S_IFREG:
            # The copy takes the file's pages in the upper layer: ENOSPC if they do not
            # fit its size (as Linux's overlayfs on a full upper), counted once copied.
            if -(-low.size // _PAGE) > up.fs.room():
                raise ENOSPC()
            self._copy_data(t, up)
            up.account()
        up.atime, up.mtime = low.atime_ns, low.mtime_ns
        stale = parent_up.children.get(self.name)
        if stale is not None and is_whiteout(stale):
            parent_up._remove(self.name)
        parent_up._insert(self.name, up)
        self.upper = up
        return up

    def _copy_data(self, t: Any, up: TmpfsInode) -> None:
        f = self.lower.open(t, None, O_RDONLY)
        try:
            copy_to = getattr(f, "copy_to", None)
            if copy_to is not None:
                copy_to(up.memfd)  # host files: sendfile, with host errors mapped
                return
            off = 0
            while data := f.pread_at(_COPY_CHUNK, off):
                off += os.pwrite(up.memfd, data, off)
        finally:
            f.release()

    # --- directories ------------------------------------------------------------------
    def lookup(self, t: Any, name: bytes) -> Inode:
        kid = self._kids.get(name)
        if kid is not None:
            return kid
        up = self.upper.children.get(name) if self.upper is not None else None
        if up is not None and is_whiteout(up):
            raise ENOENT()
        low = None
        if self._merged() and (up is None or up.mode_ & S_IFMT == S_IFDIR):
            try:
                low = self.lower.lookup(t, name)
            except ENOENT:
                low = None
            if up is not None and low is not None and not low.is_dir():
                low = None
        if up is None and low is None:
            raise ENOENT()
        kid = OverlayInode(self.fs, self, name, up, low)
        self._kids[name] = kid
        return kid

    def iterdir(self, t: Any) -> list[DirEntry]:
        upper = self.upper.children if self.upper is not None else {}
        out: list[DirEntry] = []
        lower_ino: dict[bytes, int] = {}
        if self._merged():
            for e in self.lower.iterdir(t):
                if e.name in upper:
                    lower_ino[e.name] = e.ino
                else:
                    out.append(e)
        for n, c in upper.items():
            if not is_whiteout(c):
                out.append(DirEntry(n, lower_ino.get(n, c.ino), (c.mode_ & S_IFMT) >> 12))
        return out

    def _is_empty(self, t: Any) -> bool:
        return not self.iterdir(t)

    def _prepare_name(self, t: Any, name: bytes) -> tuple[TmpfsInode, bool]:
        """Copies this dir up and clears a whiteout at name; returns (upper, had_whiteout)."""
        up = self.copy_up(t)
        old = up.children.get(name)
        if old is not None and is_whiteout(old):
            up._remove(name)
            return up, True
        return up, False

    def _new(self, name: bytes, upper: TmpfsInode) -> OverlayInode:
        kid = OverlayInode(self.fs, self, name, upper, None)
        self._kids[name] = kid
        return kid

    def create(self, t: Any, name: bytes, mode: int) -> Inode:
        up, _ = self._prepare_name(t, name)
        return self._new(name, up.create(t, name, mode))

    def mkdir(self, t: Any, name: bytes, mode: int) -> Inode:
        up, whiteout = self._prepare_name(t, name)
        d = up.mkdir(t, name, mode)
        if whiteout:
            d.xattrs[OPAQUE] = b"y"
        return self._new(name, d)

    def tmpfile(self, t: Any, mode: int) -> Inode:
        node = self.copy_up(t).tmpfile(t, mode)
        kid = OverlayInode(self.fs, self, b"", node, None)  # type: ignore[arg-type]
        kid.is_tmpfile = True
        return kid

    def mknod(self, t: Any, name: bytes, mode: int, rdev: int) -> Inode:
        up, _ = self._prepare_name(t, name)
        return self._new(name, up.mknod(t, name, mode, rdev))

    def symlink(self, t: Any, name: bytes, target: bytes) -> Inode:
        up, _ = self._prepare_name(t, name)
        return self._new(name, up.symlink(t, name, target))

    def link(self, t: Any, name: bytes, target: Inode) -> Inode:
        assert isinstance(target, OverlayInode)
        src = target.copy_up(t)
        up, _ = self._prepare_name(t, name)
        return self._new(name, up.link(t, name, src))

    def _whiteout(self, up: TmpfsInode, name: bytes) -> None:
        up._insert(name, self.fs.upper_fs.new_inode(S_IFCHR, 0, 0, 0))

    def unlink(self, t: Any, name: bytes) -> None:
        kid = self.lookup(t, name)
        up = self.copy_up(t)
        if kid.upper is not None:
            up.unlink(t, name)
        if kid.lower is not None:
            self._whiteout(up, name)
        self._kids.pop(name, None)

    def rmdir(self, t: Any, name: bytes) -> None:
        kid = self.lookup(t, name)
        if not kid._is_empty(t):
            raise ENOTEMPTY()
        up = self.copy_up(t)
        if kid.upper is not None:
            kid.upper.children.clear()  # only whiteouts were left
            up.rmdir(t, name)
        if kid.lower is not None:
            self._whiteout(up, name)
        self._kids.pop(name, None)

    def rename(self, t: Any, name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        assert isinstance(new_dir, OverlayInode)
        kid = self.lookup(t, name)
        if kid.lower is not None and kid.is_dir():
            raise EXDEV()
        if flags & RENAME_EXCHANGE:
            self._exchange(t, kid, name, new_dir, new_name)
            return
        try:
            target: OverlayInode | None = new_dir.lookup(t, new_name)  # type: ignore[assignment]
        except ENOENT:
            target = None
        if target is not None and target.is_dir() and not target._is_empty(t):
            raise ENOTEMPTY()
        src = kid.copy_up(t)
        new_up, _ = new_dir._prepare_name(t, new_name)
        if target is not None and target.upper is not None:
            target.upper.children.clear()
        up = self.copy_up(t)
        up.rename(t, name, new_up, new_name, flags)
        if target is not None and target.lower is not None and src.mode_ & S_IFMT == S_IFDIR:
            src.xattrs[OPAQUE] = b"y"
        if kid.lower is not None:
            self._whiteout(up, name)
        self._kids.pop(name, None)
        new_dir._kids[new_name] = kid
        kid.parent, kid.name, kid.lower = new_dir, new_name, kid.lower

    def _exchange(self, t: Any, kid: Any, name: bytes, new_dir: OverlayInode,
                  new_name: bytes) -> None:
        """RENAME_EXCHANGE: both copied up and swapped in the upper layer (the names stay
        taken there, so no whiteout is needed); a directory with a lower part: EXDEV."""
        other = new_dir.lookup(t, new_name)
        assert isinstance(other, OverlayInode)
        if other.lower is not None and other.is_dir():
            raise EXDEV()
        kid.copy_up(t)
        other.copy_up(t)
        up, new_up = self.copy_up(t), new_dir.copy_up(t)
        up.rename(t, name, new_up, new_name, RENAME_EXCHANGE)
        self._kids[name], new_dir._kids[new_name] = other, kid
        kid.parent, kid.name = new_dir, new_name
        other.parent, other.name = self, name

    # --- everything else --------------------------------------------------------------
    def setattr(self, t: Any, attrs: SetAttr) -> None:
        self.copy_up(t).setattr(t, attrs)

    def readlink(self, t: Any) -> bytes:
        return (self.upper or self.lower).readlink(t)

    def open(self, t: Any, vd: Any, flags: int) -> Any:
        upper = self.upper
        if upper is None and flags & O_ACCMODE == O_RDONLY:  # a lower file read as is
            if self._lower_dir:
                return DirectoryFile(flags, vd)
            return self.lower.open(t, vd, flags)
        if self.is_dir():
            return DirectoryFile(flags, vd)
        if flags & O_ACCMODE != O_RDONLY:
            self.copy_up(t)
        return (self.upper or self.lower).open(t, vd, flags)

    def getxattr(self, name: bytes) -> bytes:
        return (self.upper or self.lower).getxattr(name)

    def listxattr(self) -> list[bytes]:
        names = (self.upper or self.lower).listxattr()
        return [n for n in names if not n.startswith(b"trusted.overlay.")]

    def setxattr(self, name: bytes, value: bytes, flags: int) -> None:
        self.copy_up().setxattr(name, value, flags)

    def removexattr(self, name: bytes) -> None:
        self.copy_up().removexattr(name)

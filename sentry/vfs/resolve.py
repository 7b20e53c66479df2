"""Path resolution with Linux's rules (namei): symlinks, '..', mounts, trailing slashes.

Errors: ENOENT (missing component, empty path), ENOTDIR (a non-final component, or the
final one with a trailing slash, is not a directory), EACCES (no search permission on a
directory walked through), ELOOP (more than 40 symlinks), ENAMETOOLONG (a component over
255 bytes). '..' never climbs above the task's root, and crosses mount roots to the
mountpoint's parent. Symlink targets are read from the filesystem and followed HERE, so
a host symlink can never lead outside the sandbox's root.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from sentry.abi.errno import ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, EXDEV
from sentry.vfs.constants import MAXSYMLINKS, NAME_MAX
from sentry.vfs.dentry import Dentry, VirtualDentry
from sentry.vfs.perm import MAY_EXEC, check_access


def lookup_child(t: Any, parent: Dentry, name: bytes) -> Dentry:
    """The child dentry `name` of `parent`, from the cache or the filesystem (ENOENT)."""
    d = parent.children.get(name)
    if d is not None:
        return d
    inode = parent.inode.lookup(t, name)
    d = Dentry(inode, name, parent)
    if inode.fs.cache_dentries and parent.inode.fs.cache_dentries:
        parent.children[name] = d
    return d


class Walker:
    """One path walk. `parts` is the queue of components still to resolve."""

    def __init__(self, t: Any, root: VirtualDentry, start: VirtualDentry, path: bytes) -> None:
        self.t = t
        self.root = root
        self.vfs = root.mount.vfs
        self.cur = root if path.startswith(b"/") else start
        self.parts: deque[bytes] = deque(p for p in path.split(b"/") if p)
        self.must_dir = path.endswith(b"/")
        self.nlinks = 0
        # Whether the result depends only on the dentry tree, the mounts and the walker's
        # credentials (no procfs, whose entries depend on the task; no magic link): such a
        # walk may be remembered in the VFS's walk cache (ops.resolve_path).
        self.pure = self.cur.dentry.inode.fs.cache_dentries

    def _search(self, vd: VirtualDentry) -> None:
        """The current directory must be a directory we may search."""
        st = vd.dentry.inode.access_stat()
        if st.mode & 0o170000 != 0o040000:
            raise ENOTDIR()
        check_access(self.t.creds, st, MAY_EXEC)

    def _dotdot(self) -> None:
        m, d = self.cur
        while True:
            if VirtualDentry(m, d) == self.root:
                break
            if d is m.root:
                if m.parent is None:
                    break
                m, d = m.parent, m.point
                continue
            d = d.parent or d
            break
        self.cur = self.vfs.covering(VirtualDentry(m, d))

    def step(self, name: bytes, follow: bool) -> bool:
        """Moves to `name` under cur. Returns False if it was a symlink now queued instead."""
        self._search(self.cur)
        if name == b".":
            return True
        if name == b"..":
            self._dotdot()
            return True
        if len(name) > NAME_MAX:
            raise ENAMETOOLONG()
        d = lookup_child(self.t, self.cur.dentry, name)
        child = self.vfs.covering(VirtualDentry(self.cur.mount, d))
        if not child.dentry.inode.fs.cache_dentries or not d.inode.fs.cache_dentries:
            self.pure = False
        if follow and child.dentry.inode.is_symlink():
            self.follow(child)
            return False
        self.cur = child
        return True

    def follow(self, link: VirtualDentry) -> None:
        """Queues the target of the symlink `link` (relative to cur, its directory)."""
        self.nlinks += 1
        if self.nlinks > MAXSYMLINKS:
            raise ELOOP()
        magic = link.dentry.inode.follow_link(self.t)
        if magic is not None:
            self.pure = False
            self.magic_jump(magic)
            self.cur = magic
            return
        target = link.dentry.inode.readlink(self.t)
        if not target:
            raise ENOENT()
        if target.startswith(b"/"):
            self.root_jump()
            self.cur = self.root
        if target.endswith(b"/") and not self.parts:
            self.must_dir = True
        self.parts.extendleft(reversed([p for p in target.split(b"/") if p]))

    def magic_jump(self, to: VirtualDentry) -> None:
        """A magic link (/proc/<pid>/fd/N …) is about to move the walk to `to`."""

    def root_jump(self) -> None:
        """An absolute symlink is about to move the walk back to its root."""

    def resolve(self, follow: bool = True) -> VirtualDentry:
        """Walks the whole path; the final symlink is followed if `follow` (or a trailing '/')."""
        while self.parts:
            name = self.parts.popleft()
            last = not self.parts
            self.step(name, follow or self.must_dir if last else True)
        if self.must_dir and not self.cur.dentry.inode.is_dir():
            raise ENOTDIR()
        return self.cur

    def parent(self) -> tuple[VirtualDentry, bytes]:
        """Walks all but the final component; returns (its directory, its name).

        The name is b"" for "/" (or an empty walk), and may be b"." or b"..": callers reject
        those as Linux does for their call. The directory is checked searchable.
        """
        while len(self.parts) > 1:
            self.step(self.parts.popleft(), True)
        self._search(self.cur)
        if not self.parts:
            return self.cur, b""
        name = self.parts[0]
        if len(name) > NAME_MAX:
            raise ENAMETOOLONG()
        return self.cur, name

    def consume_last(self) -> None:
        """Drops the final component returned by parent() (before queuing a link target)."""
        self.parts.popleft()


RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS = 0x01, 0x02, 0x04
RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_CACHED = 0x08, 0x10, 0x20
RESOLVE_ALL = 0x3F
_SCOPED = RESOLVE_BENEATH | RESOLVE_IN_ROOT


class ScopedWalker(Walker):
    """openat2's walk: a Walker under RESOLVE_* rules (Linux's LOOKUP_BENEATH, IN_ROOT,
    NO_XDEV, NO_SYMLINKS, NO_MAGICLINKS). BENEATH and IN_ROOT make the starting directory
    the walk's root: an escape is EXDEV under BENEATH, stays at that root under IN_ROOT
    (absolute paths and symlinks start there); magic links are EXDEV in both. NO_XDEV:
    crossing a mount is EXDEV; NO_SYMLINKS and NO_MAGICLINKS: following one is ELOOP."""

    def __init__(self, t: Any, root: VirtualDentry, start: VirtualDentry, path: bytes,
                 resolve: int) -> None:
        if resolve & RESOLVE_BENEATH and path.startswith(b"/"):
            raise EXDEV()
        if resolve & _SCOPED:
            root = start
        super().__init__(t, root, start, path)
        self.flags = resolve
        self.pure = False

    def _dotdot(self) -> None:
        if self.flags & RESOLVE_BENEATH and self.cur == self.root:
            raise EXDEV()
        before = self.cur.mount
        super()._dotdot()
        if self.flags & RESOLVE_NO_XDEV and self.cur.mount is not before:
            raise EXDEV()

    def step(self, name: bytes, follow: bool) -> bool:
        before = self.cur.mount
        moved = super().step(name, follow)
        if self.flags & RESOLVE_NO_XDEV and self.cur.mount is not before:
            raise EXDEV()
        return moved

    def follow(self, link: VirtualDentry) -> None:
        if self.flags & RESOLVE_NO_SYMLINKS:
            raise ELOOP()
        super().follow(link)

    def magic_jump(self, to: VirtualDentry) -> None:
        if self.flags & RESOLVE_NO_MAGICLINKS:
            raise ELOOP()
        if self.flags & _SCOPED or (self.flags & RESOLVE_NO_XDEV
                                    and to.mount is not self.cur.mount):
            raise EXDEV()

    def root_jump(self) -> None:
        if self.flags & RESOLVE_BENEATH:
            raise EXDEV()
        if self.flags & RESOLVE_NO_XDEV and self.root.mount is not self.cur.mount:
            raise EXDEV()


def path_of(root: VirtualDentry, vd: VirtualDentry) -> bytes:
    """The absolute path of vd as seen from `root` (Linux's d_path, with ' (deleted)')."""
    parts: list[bytes] = []
    m, d = vd
    rm, rd = root
    deleted = d.dead
    while d is not rd or m is not rm:  # (mounts and dentries compare by identity)
        if d is m.root:
            if m.parent is None:
                break  # not under root: Linux prints the path from the real root
            m, d = m.parent, m.point
            continue
        parts.append(d.name)
        if d.parent is None:
            break
        d = d.parent
    path = b"/" + b"/".join(reversed(parts))
    return path + b" (deleted)" if deleted else path

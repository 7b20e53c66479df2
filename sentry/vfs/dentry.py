"""Dentries (a name in a directory tree), mounts, and VirtualDentry = (mount, dentry)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from sentry.vfs.inode import FileSystem, Inode
    from sentry.vfs.vfs import VFS

_mount_ids = itertools.count(1)


def internal_mount_id(fs: FileSystem) -> int:
    """The id of a filesystem's kernel-internal mount (pipefs, anon_inodefs: Linux mounts
    them where no namespace sees them), what statx and fdinfo show as the mount of a file
    without a path. Taken from the same sequence as the ids of real mounts."""
    mid: int = getattr(fs, "internal_mnt_id", 0)
    if not mid:
        mid = next(_mount_ids)
        fs.internal_mnt_id = mid  # type: ignore[attr-defined]
    return mid


class Dentry:
    """A named link to an inode. Children are cached when the filesystem allows it."""

    __slots__ = ("name", "parent", "inode", "children", "dead")

    def __init__(self, inode: Inode, name: bytes = b"", parent: Dentry | None = None) -> None:
        self.inode = inode
        self.name = name
        self.parent = parent
        self.children: dict[bytes, Dentry] = {}
        self.dead = False  # unlinked: /proc links show " (deleted)"

    def __repr__(self) -> str:
        return f"Dentry({self.name!r})"


class Mount:
    """A filesystem attached at a mountpoint (parent, point) with per-mount flags (MS_*)."""

    def __init__(
        self, vfs: VFS, fs: FileSystem, root: Dentry, flags: int = 0,
        parent: Mount | None = None, point: Dentry | None = None,
    ) -> None:
        self.vfs = vfs
        self.fs = fs
        self.root = root
        self.flags = flags
        self.parent = parent
        self.point = point
        self.id = next(_mount_ids)
        self.expiring = False  # umount2(MNT_EXPIRE) marked it
        self.detached = False  # unmounted (lazily, MNT_DETACH, if files still use it)
        self.root_path = b"/"  # its root's path within the filesystem (mountinfo's 4th field)

    def __repr__(self) -> str:
        return f"Mount({self.id}, {self.fs.name})"


class VirtualDentry(NamedTuple):
    """A position in the mount tree: what a path resolves to and a file description names."""

    mount: Mount
    dentry: Dentry

    @property
    def inode(self) -> Inode:
        return self.dentry.inode

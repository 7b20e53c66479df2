"""fsnotify: the VFS's side of inotify. Operations report what they changed; watches on
the inodes involved (and on their directories, with the child's name) receive events.

Watches are keyed by the inode's (st_dev, st_ino) from stat(), so every dentry,
hard link or overlay layer of one file reaches the same watches. The fast paths
(read/write/open/close) test the module-level `active` first: with no watch anywhere,
reporting costs one global lookup.

Order, as Linux delivers it: for an event on a file, its directory's watches (with the
name) come before the file's own; for unlink/rmdir the victim's ATTRIB/DELETE_SELF/
IGNORED come before the directory's DELETE.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sentry.vfs.dentry import Dentry, VirtualDentry
    from sentry.vfs.file import FileDescription
    from sentry.vfs.inode import Inode

IN_ACCESS, IN_MODIFY, IN_ATTRIB = 0x1, 0x2, 0x4
IN_CLOSE_WRITE, IN_CLOSE_NOWRITE, IN_OPEN = 0x8, 0x10, 0x20
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF = 0x400, 0x800
IN_UNMOUNT, IN_Q_OVERFLOW, IN_IGNORED = 0x2000, 0x4000, 0x8000
IN_ISDIR, IN_ONESHOT = 0x40000000, 0x80000000
IN_ALL_EVENTS = 0xFFF

active = 0  # watches in every VFS: the fast paths skip reporting while it is 0
_cookies = itertools.count(1)


class Listener(Protocol):
    """An inotify instance as the registry sees it."""

    def deliver(self, watch: Watch, mask: int, cookie: int, name: bytes) -> None: ...

    def forget(self, watch: Watch) -> None: ...


class Watch:
    __slots__ = ("wd", "mask", "key", "owner")

    def __init__(self, wd: int, mask: int, key: tuple[int, int], owner: Listener) -> None:
        self.wd, self.mask, self.key, self.owner = wd, mask, key, owner


class Watches:
    """The watches of one VFS, by inode key."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[int, int], list[Watch]] = {}

    def add(self, w: Watch) -> None:
        global active
        self.by_key.setdefault(w.key, []).append(w)
        active += 1

    def remove(self, w: Watch) -> None:
        global active
        lst = self.by_key.get(w.key)
        if lst and w in lst:
            lst.remove(w)
            active -= 1
            if not lst:
                del self.by_key[w.key]

    def send(self, key: tuple[int, int], mask: int, cookie: int = 0, name: bytes = b"") -> None:
        for w in list(self.by_key.get(key, ())):
            if w.mask & mask & IN_ALL_EVENTS or mask & IN_IGNORED:
                w.owner.deliver(w, mask, cookie, name)
                if w.mask & IN_ONESHOT:
                    self.remove(w)
                    w.owner.forget(w)

    def gone(self, key: tuple[int, int]) -> None:
        """The inode is deleted: every watch on it ends (IN_IGNORED)."""
        for w in list(self.by_key.get(key, ())):
            self.remove(w)
            w.owner.forget(w)


def key_of(inode: Inode) -> tuple[int, int]:
    # stat(), not access_stat(): an overlay file keeps its lower st_dev/st_ino after copy-up
    # only in stat(). It costs a host call per event on host files, and only with watches.
    st = inode.stat()
    return (st.dev, st.ino)


def _isdir(inode: Inode) -> int:
    return IN_ISDIR if inode.is_dir() else 0


def _registry(vd: VirtualDentry) -> Watches:
    return vd.mount.vfs.watches


# --- what operations report -----------------------------------------------------------
def dentry_event(reg: Watches, d: Dentry, mask: int) -> None:
    """An event on the file of dentry d: its directory's watches, then its own."""
    inode = d.inode
    mask |= _isdir(inode)
    parent = d.parent
    if parent is not None and not d.dead:
        reg.send(key_of(parent.inode), mask, 0, d.name)
    reg.send(key_of(inode), mask)


def file_event(f: FileDescription, mask: int) -> None:
    """read/write/open/close of an open file (IN_ACCESS, IN_MODIFY, IN_OPEN, IN_CLOSE_*)."""
    vd = f.vd
    if vd is None or f.is_path:
        return
    reg = _registry(vd)
    if reg.by_key:
        dentry_event(reg, vd.dentry, mask)


def vd_event(vd: VirtualDentry, mask: int) -> None:
    """chmod, chown, utimes, xattrs (IN_ATTRIB) and truncate (IN_MODIFY) by path or fd."""
    reg = _registry(vd)
    if reg.by_key:
        dentry_event(reg, vd.dentry, mask)


def created(parent: VirtualDentry, name: bytes, inode: Inode) -> None:
    reg = _registry(parent)
    if reg.by_key:
        reg.send(key_of(parent.dentry.inode), IN_CREATE | _isdir(inode), 0, name)


def linked(parent: VirtualDentry, name: bytes, inode: Inode) -> None:
    """link(2): the file's link count changed (ATTRIB), then the directory's CREATE."""
    reg = _registry(parent)
    if reg.by_key:
        reg.send(key_of(inode), IN_ATTRIB)
        reg.send(key_of(parent.dentry.inode), IN_CREATE, 0, name)


def removed(parent: VirtualDentry, name: bytes, key: tuple[int, int], is_dir: bool,
            last_link: bool) -> None:
    """unlink/rmdir: the victim's ATTRIB (files) / DELETE_SELF / IGNORED, then DELETE.

    `key` is the victim's, taken before the removal (a host inode cannot be stat'ed after).
    """
    reg = _registry(parent)
    if not reg.by_key:
        return
    if not is_dir:
        reg.send(key, IN_ATTRIB)
    if last_link or is_dir:
        reg.send(key, IN_DELETE_SELF)
        reg.gone(key)
    reg.send(key_of(parent.dentry.inode), IN_DELETE | (IN_ISDIR if is_dir else 0), 0, name)


def moved(old_parent: VirtualDentry, old_name: bytes, new_parent: VirtualDentry,
          new_name: bytes, inode: Inode) -> None:
    """rename: MOVED_FROM and MOVED_TO with one cookie, then the file's MOVE_SELF."""
    reg = _registry(old_parent)
    if not reg.by_key:
        return
    isdir = _isdir(inode)
    cookie = next(_cookies) & 0xFFFFFFFF
    reg.send(key_of(old_parent.dentry.inode), IN_MOVED_FROM | isdir, cookie, old_name)
    reg.send(key_of(new_parent.dentry.inode), IN_MOVED_TO | isdir, cookie, new_name)
    reg.send(key_of(inode), IN_MOVE_SELF | isdir)

"""The VFS: the mount tree of one sandbox and its character-device registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sentry.abi.errno import EBUSY, ENXIO
from sentry.vfs.dentry import Dentry, Mount, VirtualDentry
from sentry.vfs.fsnotify import Watches
from sentry.vfs.mapnames import MapNames

if TYPE_CHECKING:
    from sentry.vfs.file import FileDescription
    from sentry.vfs.inode import FileSystem, Inode

# opener(t, vd, flags) -> FileDescription, registered per (major, minor).
DeviceOpener = Callable[[Any, VirtualDentry, int], "FileDescription"]


class VFS:
    """Mounts keyed by (parent mount, mountpoint dentry); devices keyed by (major, minor).

    Opening a character device node in ANY filesystem (a host rootfs included) goes through
    the registry: the Sentry never opens a host device node on the guest's behalf.
    """

    def __init__(self, root_fs: FileSystem, root_inode: Inode, flags: int = 0) -> None:
        self.root_mount = Mount(self, root_fs, Dentry(root_inode), flags)
        self.mounts: dict[tuple[Mount, Dentry], Mount] = {}
        self.order: list[Mount] = [self.root_mount]
        self.devices: dict[tuple[int, int], DeviceOpener] = {}
        # Recent pure path walks: (path, follow, root, start, creds key) -> result. Any
        # change that could alter a successful walk (a name removed or renamed, a mount, a
        # mode or owner changed) clears it; a new name cannot, as failed walks are not kept.
        self.walks: dict[tuple, VirtualDentry] = {}
        self.map_names = MapNames()  # guest names of mmapped host files (/proc/<pid>/maps)
        self.watches = Watches()  # inotify watches (sentry/vfs/fsnotify.py)
        # Mounts in no tree, by name: memfd_create's tmpfs and hugetlbfs (Linux's shm_mnt).
        self.internal: dict[str, Mount] = {}

    def root(self) -> VirtualDentry:
        return VirtualDentry(self.root_mount, self.root_mount.root)

    def mount(self, fs: FileSystem, root_inode: Inode, at: VirtualDentry, flags: int = 0) -> Mount:
        """Mounts `fs` (whose root is root_inode) over the directory `at`."""
        return self._attach(Mount(self, fs, Dentry(root_inode), flags, at.mount, at.dentry))

    def bind(self, src: Mount, root: Dentry, at: VirtualDentry, flags: int) -> Mount:
        """A bind mount: src's filesystem, with its dentry `root` (the very dentry, so both
        places share one dentry cache) as the new mount's root, over `at`."""
        return self._attach(Mount(self, src.fs, root, flags, at.mount, at.dentry))

    def _attach(self, m: Mount) -> Mount:
        key = (m.parent, m.point)
        if key in self.mounts:
            raise EBUSY()
        self.mounts[key] = m
        self.order.append(m)
        self.walks.clear()
        return m

    def move(self, m: Mount, to: VirtualDentry) -> None:
        """Moves mount m (with what is mounted below it) over `to`."""
        key = (to.mount, to.dentry)
        if key in self.mounts:
            raise EBUSY()
        del self.mounts[(m.parent, m.point)]
        m.parent, m.point = to.mount, to.dentry
        self.mounts[key] = m
        self.walks.clear()

    def umount(self, m: Mount) -> None:
        """Takes m and every mount below it out of the tree (open files on them go on
        working: a lazy unmount's detach)."""
        gone = set()
        for x in self.order:
            up: Mount | None = x
            while up is not None and up is not m:
                up = up.parent
            if up is m:
                gone.add(x)
        for x in gone:
            del self.mounts[(x.parent, x.point)]
            x.detached = True  # out of the namespace: mount calls on it are EINVAL
        m.parent = m.point = None  # the root of a tree of its own ('..' stays there)
        self.order = [x for x in self.order if x not in gone]
        self.walks.clear()

    def covering(self, vd: VirtualDentry) -> VirtualDentry:
        """The top of the mount stack at vd (vd itself when nothing is mounted there)."""
        m = self.mounts.get((vd.mount, vd.dentry))
        while m is not None:
            vd = VirtualDentry(m, m.root)
            m = self.mounts.get((m, m.root))
        return vd

    def register_device(self, major: int, minor: int, opener: DeviceOpener) -> None:
        self.devices[(major, minor)] = opener

    def open_device(self, t: Any, rdev: int, vd: VirtualDentry, flags: int) -> FileDescription:
        import os

        opener = self.devices.get((os.major(rdev), os.minor(rdev)))
        if opener is None:
            raise ENXIO()
        return opener(t, vd, flags)

"""devpts: /dev/pts with `ptmx` and one node per open pty master, and the /dev/ptmx driver.

Opening a 5:2 node (/dev/ptmx, /dev/pts/ptmx) makes a new Terminal in the devpts mounted
at `pts` beside the node (Linux's devpts_acquire), else in the instance registered with
the VFS. The node /dev/pts/N (char 136:N, owner: the opener; mode and group from the mount
options, Linux's defaults 0600 and the opener's) lives as long as the master; N is the
lowest free index.
"""

from __future__ import annotations

import itertools
import os
import time
from typing import Any

from sentry.abi.errno import ENOENT, ENOSPC
from sentry.abi.stat import DT_CHR, S_IFCHR, S_IFDIR, Stat, StatFs
from sentry.vfs.dentry import VirtualDentry
from sentry.vfs.file import DirectoryFile, FileDescription
from sentry.vfs.inode import DirEntry, FileSystem, Inode, SetAttr
from sentry.vfs.fsimpl.devpts.terminal import MasterFile, Terminal
from sentry.vfs.vfs import VFS

DEVPTS_SUPER_MAGIC = 0x1CD1
TTYAUX_MAJOR, PTMX_MINOR = 5, 2
UNIX98_PTY_SLAVE_MAJOR = 136
MAX_PTYS = 4096  # /proc/sys/kernel/pty/max


class DevptsFS(FileSystem):
    name = "devpts"
    magic = DEVPTS_SUPER_MAGIC
    cache_dentries = False  # nodes come and go with their masters

    def __init__(self, options: list[str] | tuple[str, ...] = ()) -> None:
        """Mount options as Linux's devpts takes them: mode= (0600), gid= (the opener's),
        ptmxmode= (0000); others are ignored (newinstance is what every mount is here)."""
        super().__init__()
        self.terminals: dict[int, Terminal] = {}
        self.foreign: dict[bytes, Inode] = {}  # host ptys of the stdio (rootfs.expose_tty)
        self.mode, self.gid, ptmxmode = 0o600, None, 0o000
        for o in options:
            key, _, value = o.partition("=")
            if key in ("mode", "ptmxmode", "gid") and value.isdigit():
                if key == "mode":
                    self.mode = int(value, 8) & 0o777
                elif key == "ptmxmode":
                    ptmxmode = int(value, 8) & 0o777
                else:
                    self.gid = int(value)
        self.root = DevptsDir(self)
        self.ptmx = PtsNode(self, 2, S_IFCHR | ptmxmode, os.makedev(TTYAUX_MAJOR, PTMX_MINOR))

    def statfs(self) -> StatFs:
        s = super().statfs()
        s.bsize = 4096
        s.namelen = 255
        return s

    def new_terminal(self, t: Any, pts: VirtualDentry | None) -> Terminal:
        taken = {int(n) for n in self.foreign if n.isdigit()} | set(self.terminals)
        index = next(i for i in itertools.count() if i not in taken)
        if index >= MAX_PTYS:
            raise ENOSPC()
        term = Terminal(index, getattr(t, "kernel", None), pts)
        uid = t.creds.fsuid if t is not None else 0
        gid = self.gid if self.gid is not None else t.creds.fsgid if t is not None else 0
        term.inode = PtsNode(self, index + 3, S_IFCHR | self.mode,
                             os.makedev(UNIX98_PTY_SLAVE_MAJOR, index), uid, gid, term)
        term.on_release = lambda tm: self.terminals.pop(tm.index, None)
        self.terminals[index] = term
        return term


class DevptsDir(Inode):
    """The root: ptmx and the live pty numbers."""

    def __init__(self, fs: DevptsFS) -> None:
        self.fs = fs
        self.time = time.time_ns()

    def stat(self) -> Stat:
        fs = self.fs
        assert isinstance(fs, DevptsFS)
        return Stat(dev=fs.dev, ino=1, nlink=2, mode=S_IFDIR | 0o755, size=0, blksize=1024,
                    atime_ns=self.time, mtime_ns=self.time, ctime_ns=self.time)

    def lookup(self, t: Any, name: bytes) -> Inode:
        fs = self.fs
        assert isinstance(fs, DevptsFS)
        if name == b"ptmx":
            return fs.ptmx
        if name in fs.foreign:
            return fs.foreign[name]
        if name.isdigit() and name == b"%d" % int(name):
            term = fs.terminals.get(int(name))
            if term is not None:
                return term.inode
        raise ENOENT()

    def iterdir(self, t: Any) -> list[DirEntry]:
        fs = self.fs
        assert isinstance(fs, DevptsFS)
        out = [DirEntry(b"ptmx", 2, DT_CHR)]
        names = {b"%d" % i: term.inode.ino for i, term in fs.terminals.items()}
        names.update({n: i.stat().ino for n, i in fs.foreign.items()})
        out += [DirEntry(n, ino, DT_CHR) for n, ino in sorted(names.items(),
                                                              key=lambda x: int(x[0]))]
        return out

    def open(self, t: Any, vd: VirtualDentry, flags: int) -> FileDescription:
        return DirectoryFile(flags, vd)


class PtsNode(Inode):
    """/dev/pts/ptmx or /dev/pts/N: a character node whose attributes the guest may change."""

    def __init__(self, fs: DevptsFS, ino: int, mode: int, rdev: int, uid: int = 0,
                 gid: int = 0, term: Terminal | None = None) -> None:
        self.fs = fs
        self.ino, self.mode_, self.rdev, self.uid, self.gid = ino, mode, rdev, uid, gid
        self.term = term
        self.self_opening = term is not None  # N opens its terminal; ptmx goes to 5:2
        self.atime = self.mtime = self.ctime = time.time_ns()

    def stat(self) -> Stat:
        return Stat(dev=self.fs.dev, ino=self.ino, mode=self.mode_, uid=self.uid, gid=self.gid,
                    rdev=self.rdev, blksize=1024, atime_ns=self.atime, mtime_ns=self.mtime,
                    ctime_ns=self.ctime)

    def setattr(self, t: Any, attrs: SetAttr) -> None:
        attrs.apply(self, time.time_ns())

    def open(self, t: Any, vd: VirtualDentry, flags: int) -> FileDescription:
        assert self.term is not None
        return self.term.open_replica(t, vd, flags)


def _devpts_beside(t: Any, vd: VirtualDentry) -> VirtualDentry | None:
    """The devpts mount root for a ptmx node: its own directory, or `pts` next to it."""
    from sentry.vfs.resolve import lookup_child

    if isinstance(vd.dentry.inode.fs, DevptsFS):
        return VirtualDentry(vd.mount, vd.mount.root)
    parent = vd.dentry.parent
    if parent is None:
        return None
    try:
        d = lookup_child(t, parent, b"pts")
    except ENOENT:
        return None
    at = vd.mount.vfs.covering(VirtualDentry(vd.mount, d))
    return at if isinstance(at.dentry.inode.fs, DevptsFS) else None


def register_devpts(vfs: VFS, fallback: VirtualDentry) -> None:
    """Makes 5:2 open a new pty master; `fallback` is the root of the instance to use when
    no devpts is mounted beside the node."""
    def open_ptmx(t: Any, vd: VirtualDentry, flags: int) -> FileDescription:
        pts = _devpts_beside(t, vd) or fallback
        fs = pts.dentry.inode.fs
        assert isinstance(fs, DevptsFS)
        term = fs.new_terminal(t, pts)
        return MasterFile(flags & ~0o400, vd, term)  # O_NOCTTY is not a status flag

    vfs.register_device(TTYAUX_MAJOR, PTMX_MINOR, open_ptmx)

"""Start-up wiring: the root file system of `runsc_py do` and the container's stdio.

    root = build_do_root("/")             # overlay(host "/", tmpfs) + /proc, /dev, /sys
    fs = FsContext(root=root.root(), cwd=root.lookup(b"/some/dir"))
    fds = FdTable()
    for f in stdio_files((0, 1, 2)):
        fds.install(f)                     # fds 0, 1, 2

It lives under fsimpl/ because it is the one place that knows the implementations
(the VFS core never imports them).
"""

from __future__ import annotations

import fcntl
import os
from types import SimpleNamespace
from typing import Any

from sentry.abi.errno import ENOENT
from sentry.abi.stat import S_IFDIR, Stat
from sentry.kernel.creds import Credentials
from sentry.kernel.fs_context import FsContext
from sentry.vfs.constants import MS_NODEV, MS_NOEXEC, MS_NOSUID, O_ACCMODE, O_LARGEFILE, O_NOCTTY
from sentry.vfs.dentry import Mount, VirtualDentry
from sentry.vfs.fsimpl.dev import build_devfs, register_devices
from sentry.vfs.fsimpl.devpts import DevptsFS, register_devpts
from sentry.vfs.fsimpl.host import HostFS
from sentry.vfs.fsimpl.host.stream import HostStreamFile
from sentry.vfs.fsimpl.overlay import OverlayFS
from sentry.vfs.fsimpl.pipe import register_fifo_opener
from sentry.vfs.fsimpl.proc import ProcFS
from sentry.vfs.fsimpl.sysfs import build_sysfs
from sentry.vfs.fsimpl.tmpfs import TmpfsFS, TmpfsInode, default_tmpfs_pages
from sentry.vfs.inode import FileSystem, Inode
from sentry.vfs.resolve import Walker, lookup_child
from sentry.vfs.vfs import VFS


class SandboxRoot:
    """A VFS with its root mount and the procfs instance (for the kernel's reference)."""

    def __init__(self, vfs: VFS, proc: ProcFS) -> None:
        self.vfs = vfs
        self.proc = proc
        self.dev_root: TmpfsInode | None = None
        self.devpts: DevptsFS | None = None

    def expose_tty(self, f: HostStreamFile) -> None:
        """Shows a host pty of the stdio as /dev/pts/N (same rdev); opening it reopens f.

        Without it ttyname(3) fails in the guest. Our devpts skips that N for its own ptys.
        """
        name = f.name
        if not f.is_tty or not name.startswith(b"/dev/pts/") or self.devpts is None:
            return
        leaf = name[len(b"/dev/pts/"):]
        if b"/" in leaf or leaf in self.devpts.foreign or self.dev_root is None:
            return
        self.devpts.foreign[leaf] = HostTtyNode(self.dev_root.fs, f)

    def expose_console(self, f: HostStreamFile | None) -> None:
        """/dev/console for the init's terminal `f` (None or not a terminal: no console).

        runc bind-mounts the container's console pty (the init's terminal) over
        /dev/console; here the node has that pty's attributes and opening it reopens f.
        Without a terminal runc makes no /dev/console, nor does runsc (gVisor's devtmpfs
        has none), and neither do we (ENOENT)."""
        if f is None or not f.is_tty or self.dev_root is None:
            return
        if b"console" not in self.dev_root.children:
            self.dev_root._insert(b"console", HostTtyNode(self.dev_root.fs, f))

    def root(self) -> VirtualDentry:
        return self.vfs.root()

    def lookup(self, path: bytes) -> VirtualDentry:
        """Resolves an absolute path as root (for the initial cwd); ENOENT/ENOTDIR."""
        ctx = SimpleNamespace(creds=Credentials(), kernel=None)
        return Walker(ctx, self.root(), self.root(), path).resolve()

    def fs_context(self, cwd: bytes = b"/", umask: int = 0o022) -> FsContext:
        """The first task's FsContext (cwd falls back to "/" if it does not exist)."""
        try:
            where = self.lookup(cwd)
        except ENOENT:
            where = self.root()
        return FsContext(root=self.root(), cwd=where, umask=umask)

    def mkdirs(self, path: bytes) -> VirtualDentry:
        """The directory `path` (through mounts), made with its parents (0755) if missing."""
        at = self.root()
        for name in [p for p in path.split(b"/") if p]:
            try:
                d = lookup_child(None, at.dentry, name)
            except ENOENT:
                at.dentry.inode.mkdir(None, name, S_IFDIR | 0o755)
                d = lookup_child(None, at.dentry, name)
            at = self.vfs.covering(VirtualDentry(at.mount, d))
        return at

    def mount(self, fs: FileSystem, root_inode: Inode, path: bytes, flags: int = 0) -> Mount:
        """Mounts fs over `path`, creating the mountpoint directory if it is missing."""
        return self.vfs.mount(fs, root_inode, self.mkdirs(path), flags)


class HostTtyNode(TmpfsInode):
    """/dev/pts/N for the host pty of the stdio: the host's attributes (ttyname(3) compares
    st_dev/st_ino/st_rdev with fstat of the fd), and opening it reopens the stdio file."""

    self_opening = True

    def __init__(self, fs: TmpfsFS, f: HostStreamFile) -> None:
        st = f.stat()
        super().__init__(fs, st.mode, st.uid, st.gid, st.rdev)
        self.file = f

    def stat(self) -> Stat:
        return self.file.stat()

    def open(self, t: Any, vd: Any, flags: int) -> Any:
        return self.file.reopen(flags & ~O_NOCTTY)


def build_do_root(host_root: str = "/", upper_pages: int | None = None,
                  exclusive: bool = False) -> SandboxRoot:
    """The host's tree read-only under a memory upper layer, plus our /proc, /dev, /sys;
    `exclusive`: nothing else changes the host tree meanwhile (HostFS caches attributes).

    The upper layer is a tmpfs of `upper_pages` pages (None: Linux tmpfs's default, half
    of RAM; 0: no limit) and Linux's default inode count: writes beyond get ENOSPC."""
    lower = HostFS(host_root, exclusive=exclusive)
    pages = default_tmpfs_pages() if upper_pages is None else upper_pages
    overlay = OverlayFS(lower.root, TmpfsFS(pages, default_tmpfs_pages()))
    vfs = VFS(overlay, overlay.root)
    register_devices(vfs)
    register_fifo_opener()
    proc = ProcFS()
    sr = SandboxRoot(vfs, proc)
    proc.mount = sr.mount(proc, proc.root, b"/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    dev_fs, dev_root = build_devfs()
    sr.mount(dev_fs, dev_root, b"/dev", MS_NOSUID)
    sr.dev_root = dev_root
    devpts = DevptsFS()
    pts = sr.mount(devpts, devpts.root, b"/dev/pts", MS_NOSUID | MS_NOEXEC)
    sr.devpts = devpts
    register_devpts(vfs, VirtualDentry(pts, pts.root))
    sys_fs, sys_root = build_sysfs()
    sr.mount(sys_fs, sys_root, b"/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    return sr


def stdio_files(
    host_fds: tuple[int, ...] = (0, 1, 2), root: SandboxRoot | None = None
) -> list[HostStreamFile]:
    """Guest files for the given host fds (each dup'ed; the access mode is the host's).

    With `root`, a host pty among them also appears as /dev/pts/N (see expose_tty).
    """
    out: list[HostStreamFile] = []
    for fd in host_fds:
        acc = fcntl.fcntl(fd, fcntl.F_GETFL) & O_ACCMODE
        f = HostStreamFile(os.dup(fd), acc | O_LARGEFILE)
        if root is not None:
            root.expose_tty(f)
        out.append(f)
    return out


def controlling_tty(files: list[HostStreamFile]) -> HostStreamFile | None:
    """The first terminal among the stdio files: what /dev/tty opens (tg.controlling_tty)."""
    return next((f for f in files if f.is_tty), None)

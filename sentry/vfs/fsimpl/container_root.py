"""Start-up wiring for an OCI container: the bundle's rootfs and config.json's mounts.

    root = build_container_root(rootfs, readonly, mounts, masked, readonly_paths, log)

The rootfs is hostfs rooted at the bundle's rootfs (component-by-component walks, so no
symlink leads out), under a memory upper layer (writes do not reach the bundle); with
root.readonly the root mount is read-only and writes fail with EROFS. Mounts map onto
what the Sentry has:
proc → our procfs; sysfs → our minimal read-only sysfs (fsimpl/sysfs.py); /dev (tmpfs or
devtmpfs) → our devfs (with /dev/ptmx and the /dev/pts and /dev/shm directories);
devpts → our devpts (mode=, gid=, ptmxmode= honoured); tmpfs → tmpfs (mode=, size= and
nr_inodes= honoured: ENOSPC beyond them); bind/rbind of a host directory → hostfs (ro:
read-only, EROFS; rw: a writable hostfs whose changes reach the host directory through the
Sentry's held fds, as with runc and gVisor's gofer); bind of a host file → that file (ro
or rw likewise); mqueue → the sandbox's message queues (fsimpl/mqueue.py); cgroup and
cgroup2 → an empty read-only directory. maskedPaths get an empty read-only tmpfs over
directories (files are left visible: no file mounts yet);
readonlyPaths are re-mounted read-only (a bind of the same tree).
"""

from __future__ import annotations

import logging
import os
from sentry.record import dataclass
from types import SimpleNamespace
from typing import Any

from sentry.abi.errno import EINVAL, ENOENT, SysError
from sentry.abi.stat import S_IFREG
from sentry.kernel.creds import Credentials
from sentry.vfs.constants import MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY
from sentry.vfs.dentry import VirtualDentry
from sentry.vfs.fsimpl import mqueue
from sentry.vfs.fsimpl.dev import build_devfs, register_devices
from sentry.vfs.fsimpl.devpts import DevptsFS, register_devpts
from sentry.vfs.fsimpl.host import HostFS, WritableHostFS
from sentry.vfs.fsimpl.overlay import OverlayFS
from sentry.vfs.fsimpl.pipe import register_fifo_opener
from sentry.vfs.fsimpl.proc import ProcFS
from sentry.vfs.fsimpl.rootfs import SandboxRoot
from sentry.vfs.fsimpl.sysfs import build_sysfs
from sentry.vfs.fsimpl.tmpfs import TmpfsFS, default_tmpfs_pages, tmpfs_limits
from sentry.vfs.resolve import Walker, lookup_child
from sentry.vfs.vfs import VFS

log = logging.getLogger("sentry")

_FLAG_OPTIONS = {"ro": MS_RDONLY, "nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}


@dataclass
class MountSpec:
    destination: str
    type: str
    source: str
    options: list[str]

    def flags(self) -> int:
        out = 0
        for o in self.options:
            out |= _FLAG_OPTIONS.get(o, 0)
        return out


def build_container_root(rootfs: str, readonly: bool, mounts: list[MountSpec],
                         masked: list[str] = (), readonly_paths: list[str] = (),
                         kernel: Any = None, exclusive: bool = False) -> SandboxRoot:
    """The container's root; `kernel` is needed to walk into /proc for the masks;
    `exclusive`: nothing else changes the rootfs meanwhile (HostFS caches attributes)."""
    lower = HostFS(rootfs, exclusive=exclusive)
    # Read-only roots too get the memory layer, for the mountpoints the mounts need (as
    # runc makes them before it remounts the root read-only); then the mount goes ro.
    # Its size is Linux tmpfs's default (half of RAM): a write beyond gets ENOSPC.
    overlay = OverlayFS(lower.root, TmpfsFS(default_tmpfs_pages(), default_tmpfs_pages()))
    vfs = VFS(overlay, overlay.root)
    register_devices(vfs)
    register_fifo_opener()
    sr = SandboxRoot(vfs, ProcFS())
    for m in mounts:
        try:
            _mount_one(sr, m, kernel)
        except SysError as e:
            log.warning("mount %s (%s): skipped: %s", m.destination, m.type or "bind",
                        os.strerror(e.errno))
    for p in masked:
        _mask(sr, p, kernel)
    for p in readonly_paths:
        _make_readonly(sr, p, kernel)
    if readonly:
        vfs.root_mount.flags |= MS_RDONLY
    return sr


def _mount_one(sr: SandboxRoot, m: MountSpec, kernel: Any = None) -> None:
    dest = os.fsencode(m.destination)
    flags = m.flags()
    kind = m.type
    if "bind" in m.options or "rbind" in m.options or kind == "bind":
        _bind(sr, m, dest, flags)
    elif kind == "proc":
        sr.proc.mount = sr.mount(sr.proc, sr.proc.root, dest, flags | MS_NOSUID | MS_NODEV
                                 | MS_NOEXEC)
    elif dest == b"/dev" and kind in ("tmpfs", "devtmpfs"):
        dev_fs, dev_root = build_devfs()
        sr.mount(dev_fs, dev_root, dest, flags | MS_NOSUID)
        sr.dev_root = dev_root
    elif kind == "tmpfs":
        try:
            fs = TmpfsFS(*tmpfs_limits(m.options))
        except ValueError:
            raise EINVAL() from None  # a malformed size= or nr_inodes=: skipped, as the mount fails
        sr.mount(fs, fs.root(_mode(m.options)), dest, flags)
    elif kind == "sysfs":
        fs, root = build_sysfs()
        sr.mount(fs, root, dest, flags | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    elif kind == "devpts":
        _devpts(sr, m, dest, flags)
    elif kind == "mqueue" and kernel is not None:  # the sandbox's POSIX message queues
        fs = mqueue.of_kernel(kernel)
        sr.mount(fs, fs.root, dest, flags | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    elif kind in ("mqueue", "cgroup", "cgroup2", "shm"):
        fs = TmpfsFS()
        fs.name = kind
        sr.mount(fs, fs.root(0o555), dest, flags | MS_RDONLY)
        log.info("mount %s of type %s: an empty read-only directory in this sandbox",
                 m.destination, kind)
    else:
        log.warning("mount %s: type %r not supported: skipped", m.destination, kind)


def _devpts(sr: SandboxRoot, m: MountSpec, dest: bytes, flags: int) -> None:
    """Our devpts with the mount's options; the first one is where /dev/ptmx opens ptys
    when no devpts is mounted beside the node (Linux's initial instance)."""
    fs = DevptsFS(m.options)
    mnt = sr.mount(fs, fs.root, dest, flags | MS_NOSUID | MS_NOEXEC)
    if sr.devpts is None:
        sr.devpts = fs
        register_devpts(sr.vfs, VirtualDentry(mnt, mnt.root))


def _bind(sr: SandboxRoot, m: MountSpec, dest: bytes, flags: int) -> None:
    if os.path.isfile(m.source):
        _bind_file(sr, m, dest, flags)
        return
    if not os.path.isdir(m.source):
        log.warning("bind mount %s: source %s is neither a directory nor a regular file: "
                    "skipped", m.destination, m.source)
        return
    host = HostFS(m.source) if flags & MS_RDONLY else WritableHostFS(m.source)
    sr.mount(host, host.root, dest, flags)


def _bind_file(sr: SandboxRoot, m: MountSpec, dest: bytes, flags: int) -> None:
    """A host file over a file of the sandbox (CRI's /etc/hosts, resolv.conf, hostname,
    /dev/termination-log): the file's inode in a hostfs of its directory (writable unless
    ro; the guest reaches only the file, never its directory)."""
    src_dir = os.path.dirname(m.source)
    parent = HostFS(src_dir) if flags & MS_RDONLY else WritableHostFS(src_dir)
    inode = parent.root.lookup(None, os.fsencode(os.path.basename(m.source)))
    if not inode.is_reg():
        log.warning("bind mount %s: %s is not a regular file: skipped", m.destination, m.source)
        return
    mnt = sr.vfs.mount(parent, inode, _file_mountpoint(sr, dest), flags)
    mnt.root_path = b"/" + os.fsencode(os.path.basename(m.source))


def _file_mountpoint(sr: SandboxRoot, dest: bytes) -> VirtualDentry:
    """The file at `dest` (made empty, with its directories, if missing); not followed if
    it is a symlink."""
    parent_path, _, name = dest.rpartition(b"/")
    at = sr.mkdirs(parent_path)
    try:
        d = lookup_child(None, at.dentry, name)
    except ENOENT:
        at.dentry.inode.create(None, name, S_IFREG | 0o644)
        d = lookup_child(None, at.dentry, name)
    return VirtualDentry(at.mount, d)


def _mode(options: list[str]) -> int:
    for o in options:
        if o.startswith("mode="):
            try:
                return int(o[5:], 8) & 0o7777
            except ValueError:
                break
    return 0o1777


def _existing(sr: SandboxRoot, path: str, kernel: Any) -> VirtualDentry | None:
    ctx = SimpleNamespace(creds=Credentials(), kernel=kernel)
    try:
        return Walker(ctx, sr.root(), sr.root(), os.fsencode(path)).resolve()
    except SysError:
        return None


def _mask(sr: SandboxRoot, path: str, kernel: Any) -> None:
    vd = _existing(sr, path, kernel)
    if vd is None:
        return
    if not vd.dentry.inode.is_dir():
        log.debug("maskedPaths %s: a file, left visible (no file mounts yet)", path)
        return
    fs = TmpfsFS()
    sr.vfs.mount(fs, fs.root(0o555), vd, MS_RDONLY)


def _make_readonly(sr: SandboxRoot, path: str, kernel: Any) -> None:
    vd = _existing(sr, path, kernel)
    if vd is None:
        return
    if not vd.dentry.inode.is_dir():
        log.debug("readonlyPaths %s: a file, left writable (no file mounts yet)", path)
        return
    mnt = sr.vfs.mount(vd.mount.fs, vd.dentry.inode, vd, vd.mount.flags | MS_RDONLY)
    mnt.root_path = _path_in_fs(vd)


def _path_in_fs(vd: VirtualDentry) -> bytes:
    """vd's path within its filesystem (a mount of the same filesystem shows it as root)."""
    parts: list[bytes] = []
    d = vd.dentry
    while d is not vd.mount.root and d.parent is not None:
        parts.append(d.name)
        d = d.parent
    base = vd.mount.root_path.rstrip(b"/")
    return base + b"/" + b"/".join(reversed(parts)) if parts else vd.mount.root_path

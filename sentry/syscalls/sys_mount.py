"""mount(2) and umount2(2) in the sandbox's own mount table (sentry/vfs/vfs.py): a guest
mount never becomes a host mount.

The caller needs CAP_SYS_ADMIN in its view (EPERM), checked where Linux's path_mount and
can_umount check it, after the target's lookup. What mount does, in Linux's order:
MS_REMOUNT|MS_BIND changes one mount's flags; MS_REMOUNT also the filesystem's read-only
state (every mount of it, as a superblock's); MS_BIND attaches a directory or file of the
sandbox elsewhere (with MS_REC, its submounts too), keeping the source mount's flags; the
propagation types (MS_SHARED, MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE, with MS_REC) are checked
and accepted, and change nothing (one mount namespace, no peer to propagate to); MS_MOVE
moves a mount; otherwise a new mount of tmpfs, proc, sysfs, devpts or mqueue (proc, sysfs
and mqueue are the sandbox's instances, as Linux has one per namespace).

Differences: overlay and devtmpfs mounts get ENODEV; proc's hidepid= and subset= EINVAL;
a file mapped with mmap does not keep its mount busy; MNT_EXPIRE marks a mount at the first
call and unmounts at the second, any use in between notwithstanding.
"""

from __future__ import annotations

from typing import Any

from sentry.abi.errno import (EAGAIN, EBUSY, EINVAL, ELOOP, ENODEV, ENOENT, ENOTDIR, EPERM,
                              ENAMETOOLONG)
from sentry.kernel.args import Args
from sentry.kernel.creds import CAP_SYS_ADMIN, capable
from sentry.kernel.task import Task
from sentry.vfs import ops
from sentry.vfs.constants import AT_FDCWD, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY
from sentry.vfs.dentry import Mount, VirtualDentry
from sentry.vfs.fsimpl import mqueue
from sentry.vfs.fsimpl.devpts import DevptsFS
from sentry.vfs.fsimpl.sysfs import build_sysfs
from sentry.vfs.fsimpl.tmpfs import TmpfsFS, tmpfs_limits

PATH_MAX = 4096
MS_REMOUNT, MS_NOSYMFOLLOW, MS_NOATIME, MS_NODIRATIME = 32, 256, 1024, 2048
MS_BIND, MS_MOVE, MS_REC = 4096, 8192, 16384
MS_UNBINDABLE, MS_PRIVATE, MS_SLAVE, MS_SHARED = 1 << 17, 1 << 18, 1 << 19, 1 << 20
MS_RELATIME, MS_STRICTATIME, MS_NOUSER = 1 << 21, 1 << 24, 1 << 31
MS_MGC_VAL, MS_MGC_MSK = 0xC0ED0000, 0xFFFF0000
MS_SILENT = 1 << 15
_PROPAGATION = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE
_ATIME = MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME
# What a Mount keeps (its per-mount flags, as MS_* bits).
_PER_MOUNT = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW | _ATIME
MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW = 1, 2, 4, 8
# Options every filesystem takes in mount's data (Linux's vfs_parse_sb_flag), and tmpfs's.
_GENERIC = {"ro", "rw", "sync", "async", "dirsync", "lazytime", "nolazytime", "mand",
            "nomand", "silent", "posixacl", "noposixacl", "source"}
_TMPFS = {"size", "nr_blocks", "nr_inodes", "mode", "uid", "gid", "huge", "mpol",
          "inode32", "inode64", "noswap", "quota", "usrquota", "grpquota"}
_DEVPTS = {"mode", "gid", "uid", "ptmxmode", "newinstance", "max"}


def _string(t: Task, addr: int) -> bytes | None:
    """A string argument as Linux copies it (strndup_user): EFAULT, EINVAL past PATH_MAX."""
    if addr == 0:
        return None
    try:
        return t.mem.read_cstr(addr, PATH_MAX + 1)
    except ENAMETOOLONG:
        raise EINVAL() from None


def _data(t: Task, addr: int) -> bytes | None:
    """mount's data page (copy_mount_options): up to a page, EFAULT only if none of it
    can be read; the filesystems here take a NUL-terminated option string."""
    if addr == 0:
        return None
    first = 4096 - addr % 4096
    data = t.mem.read(addr, first)  # EFAULT: not even the first page's part
    data += t.mem.read_partial(addr + first, 4096 - first) if first < 4096 else b""
    return data.split(b"\0", 1)[0]


def _may_mount(t: Task) -> None:
    if not capable(t.creds, CAP_SYS_ADMIN):
        raise EPERM()


def sys_mount(t: Task, a: Args) -> int:
    """Implements mount(2). Differences: see the module doc."""
    kind, source, data = _string(t, a.ptr(2)), _string(t, a.ptr(0)), _data(t, a.ptr(4))
    flags = a.ulong(3)
    target = ops.resolve_path(t, AT_FDCWD, t.mem.read_path(a.ptr(1)), True)
    if flags & MS_MGC_MSK == MS_MGC_VAL:
        flags &= ~MS_MGC_MSK
    if flags & MS_NOUSER:
        raise EINVAL()
    _may_mount(t)
    if target.mount.detached:  # Linux's check_mnt: not in the caller's namespace
        raise ENOENT() if not flags & (MS_REMOUNT | MS_BIND | _PROPAGATION | MS_MOVE) \
            else EINVAL()
    mnt_flags = flags & _PER_MOUNT
    if flags & MS_REMOUNT and not flags & _ATIME:
        mnt_flags |= target.mount.flags & _ATIME  # a remount keeps the atime mode
    vfs = target.mount.vfs
    if flags & MS_REMOUNT:
        if target.dentry is not target.mount.root:
            raise EINVAL()
        if not flags & MS_BIND:
            _options(target.mount.fs.name, data)
            target.mount.fs.read_only = bool(flags & MS_RDONLY)
        target.mount.flags = mnt_flags
        vfs.walks.clear()
        return 0
    if flags & MS_BIND:
        return _bind(t, target, source, bool(flags & MS_REC))
    if flags & _PROPAGATION:
        if target.dentry is not target.mount.root:
            raise EINVAL()
        kind_bits = flags & ~(MS_REC | MS_SILENT)
        if kind_bits & (kind_bits - 1):
            raise EINVAL()  # exactly one type
        return 0
    if flags & MS_MOVE:
        return _move(t, target, source)
    return _new_mount(t, target, kind, source, data, flags, mnt_flags)


def _options(fs_type: str, data: bytes | None) -> dict[str, str]:
    """A filesystem's option string, checked as it would check it (EINVAL)."""
    out: dict[str, str] = {}
    for opt in (data or b"").decode(errors="replace").split(","):
        key, _, val = opt.partition("=")
        if not opt or key in _GENERIC:
            continue
        if fs_type == "tmpfs" and key in _TMPFS or fs_type == "devpts" and key in _DEVPTS:
            out[key] = val
        elif not (fs_type == "proc" and key == "hidepid" and val in ("0", "off")):
            raise EINVAL()
    return out


def _new_mount(t: Task, at: VirtualDentry, kind: bytes | None, source: bytes | None,
               data: bytes | None, flags: int, mnt_flags: int) -> int:
    if kind is None:
        raise EINVAL()
    name = kind.decode(errors="replace")
    if name not in ("tmpfs", "proc", "sysfs", "devpts", "mqueue"):
        raise ENODEV()
    opts = _options(name, data)
    vfs = at.mount.vfs
    if name == "tmpfs":
        pairs = [f"{k}={v}" for k, v in opts.items()]
        try:
            fs: Any = TmpfsFS(*tmpfs_limits(pairs))
            mode = int(opts.get("mode", "1777"), 8) & 0o7777
            root = fs.root(mode)
            root.uid, root.gid = _id(opts.get("uid", "0")), _id(opts.get("gid", "0"))
        except ValueError:
            raise EINVAL() from None
    elif name == "devpts":
        for key in ("mode", "ptmxmode"):
            if key in opts and not _octal(opts[key]):
                raise EINVAL()
        if "gid" in opts:
            _id(opts["gid"])
        fs = DevptsFS([f"{k}={v}" for k, v in opts.items()])
        root = fs.root
    elif name == "mqueue":  # the sandbox's queues (one IPC namespace)
        fs = mqueue.of_kernel(t.kernel)
        root = fs.root
    else:
        fs = _shared_instance(vfs, name)
        root = fs.root if name == "proc" else fs.top
    if not at.dentry.inode.is_dir():
        raise ENOTDIR()
    if flags & MS_RDONLY:
        fs.read_only = True
    if source is not None and name == "tmpfs":
        fs.mount_source = source.decode(errors="replace")
    vfs.mount(fs, root, at, mnt_flags)
    return 0


def _id(text: str) -> int:
    """A uid= or gid= option: a valid id (not -1, below 2**32), else EINVAL."""
    if not text.isdigit() or int(text) >= 0xFFFFFFFF:
        raise EINVAL()
    return int(text)


def _octal(text: str) -> bool:
    return bool(text) and all(ch in "01234567" for ch in text)


def _shared_instance(vfs: Any, name: str) -> Any:
    """The sandbox's proc or sysfs, as mounted already (one per namespace, as Linux's)."""
    for m in vfs.order:
        if m.fs.name == name:
            return m.fs
    if name == "proc":
        from sentry.vfs.fsimpl.proc import ProcFS

        return ProcFS()
    return build_sysfs()[0]


def _bind(t: Task, at: VirtualDentry, source: bytes | None, recursive: bool) -> int:
    """do_loopback: the source's dentry becomes the root of a new mount at `at`, with the
    source mount's flags; with `recursive`, each mount below the source follows."""
    if not source:
        raise EINVAL()
    src = ops.resolve_path(t, AT_FDCWD, source, True)
    if src.mount.detached:
        raise EINVAL()
    if src.dentry.inode.is_dir() != at.dentry.inode.is_dir():
        raise ENOTDIR()
    vfs = at.mount.vfs
    top = vfs.bind(src.mount, src.dentry, at, src.mount.flags)
    if recursive:
        copies = {src.mount: top}
        for m in list(vfs.order):
            parent = copies.get(m.parent)
            if parent is not None and m not in copies.values() and _below(m.point, src):
                copies[m] = vfs.bind(m, m.root, VirtualDentry(parent, m.point), m.flags)
    return 0


def _below(d: Any, src: VirtualDentry) -> bool:
    """Whether dentry d is src's dentry or lies under it (within src's mount)."""
    while d is not None:
        if d is src.dentry:
            return True
        d = d.parent
    return False


def _move(t: Task, to: VirtualDentry, source: bytes | None) -> int:
    if not source:
        raise EINVAL()
    src = ops.resolve_path(t, AT_FDCWD, source, True)
    m = src.mount
    if src.dentry is not m.root or m.parent is None or m.detached:
        raise EINVAL()
    p = to.mount
    while p is not None:  # not into itself
        if p is m:
            raise ELOOP()
        p = p.parent
    if m.root.inode.is_dir() != to.dentry.inode.is_dir():
        raise ENOTDIR()
    m.vfs.move(m, to)
    return 0


def sys_umount2(t: Task, a: Args) -> int:
    """Implements umount2(2). Differences: see the module doc."""
    flags = a.int(1)
    if flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW):
        raise EINVAL()
    vd = ops.resolve_path(t, AT_FDCWD, t.mem.read_path(a.ptr(0)), not flags & UMOUNT_NOFOLLOW)
    _may_mount(t)
    m = vd.mount
    if vd.dentry is not m.root or m.detached:
        raise EINVAL()
    if flags & MNT_EXPIRE:
        if flags & (MNT_FORCE | MNT_DETACH):
            raise EINVAL()
        if not m.expiring:
            m.expiring = True
            raise EAGAIN()
    if m.parent is None:
        raise EBUSY()  # the sandbox's root
    if not flags & MNT_DETACH and _busy(t, m):
        raise EBUSY()
    m.vfs.umount(m)
    return 0


def _busy(t: Task, m: Mount) -> bool:
    """In use, as Linux's refcount says: a mount on it, an open file, a cwd or a root."""
    if any(x.parent is m for x in m.vfs.order):
        return True
    for task in t.kernel.tasks.values():
        if task.fs.cwd.mount is m or task.fs.root.mount is m:
            return True
        for _, f in task.fds.items():
            if f.vd is not None and f.vd.mount is m:
                return True
    return False

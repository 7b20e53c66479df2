"""/proc/<pid>/mounts and /proc/<pid>/mountinfo: the sandbox's mount table (sentry/vfs/vfs.py)
as the task sees it (Linux's fs/proc_namespace.c show_vfsmnt and show_mountinfo).

Both list the same mounts in the same order (mount order): those whose mount point the
task can reach from its root, with paths relative to that root (after a chroot, the mounts
above it are left out, as Linux does). Paths, sources and types escape space, tab,
newline and backslash as \\040, \\011, \\012 and \\134.

mountinfo's fields: mount ID (Mount.id, stable while mounted), parent ID (the root mount's
is its own), major:minor of the filesystem (st_dev of the top of its tree), the mount's
root within its filesystem (a bind's source directory), the mount point, the per-mount
options, the optional fields, "-", the type, the source and the superblock options.

Differences: no optional fields (shared:/master:): the Sentry keeps no propagation
groups; the superblock options are ro/rw only (no size=, mode= of tmpfs and the like).
"""

from __future__ import annotations

import os
from typing import Any

from sentry.abi.errno import SysError
from sentry.vfs.constants import MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY

_ESCAPES = {0x20: b"\\040", 0x09: b"\\011", 0x0A: b"\\012", 0x5C: b"\\134"}


def escape(s: bytes) -> bytes:
    """Linux's mangle() of /proc/mounts: space, tab, newline and backslash as octal."""
    if not any(c in _ESCAPES for c in s):
        return s
    return b"".join(_ESCAPES.get(c, bytes((c,))) for c in s)


def mount_point(root: Any, m: Any) -> bytes | None:
    """The path of mount m's root seen from `root` (a VirtualDentry), None if m is not
    reachable from it (Linux's seq_path_root fails and the mount is skipped)."""
    rm, rd = root
    mm, d = m, m.root
    parts: list[bytes] = []
    while mm is not rm or d is not rd:
        if d is mm.root:
            if mm.parent is None:
                return None
            mm, d = mm.parent, mm.point
            continue
        if d.parent is None:
            return None
        parts.append(d.name)
        d = d.parent
    return b"/" + b"/".join(reversed(parts))


def mount_options(m: Any) -> bytes:
    """The per-mount options (show_mnt_opts): ro/rw, nosuid, nodev, noexec, relatime."""
    opts = [b"ro" if m.flags & MS_RDONLY else b"rw"]
    for flag, name in ((MS_NOSUID, b"nosuid"), (MS_NODEV, b"nodev"), (MS_NOEXEC, b"noexec")):
        if m.flags & flag:
            opts.append(name)
    opts.append(b"relatime")  # the Sentry's atime policy on every mount
    return b",".join(opts)


def _visible(tg: Any) -> list[tuple[Any, bytes]]:
    root = tg.leader.fs.root
    out = []
    for m in root.mount.vfs.order:
        where = mount_point(root, m)
        if where is not None:
            out.append((m, where))
    return out


def root_field(m: Any, order: list[Any]) -> tuple[bytes, Any]:
    """Mount m's root as a path within its filesystem, and the top dentry of the tree it
    is in: the dentry path up to that top (a bind mount's root is the source's very
    dentry), below the root_path of the mount whose root the top is (a file bind or a
    readonlyPaths remount names its root there; "/" for a filesystem's own root)."""
    parts: list[bytes] = []
    d = m.root
    while d.parent is not None:
        parts.append(d.name)
        d = d.parent
    if not parts:
        return getattr(m, "root_path", b"/"), d
    base = next((getattr(x, "root_path", b"/") for x in order if x.root is d), b"/")
    return base.rstrip(b"/") + b"/" + b"/".join(reversed(parts)), d


def _dev(m: Any, top: Any) -> int:
    """The filesystem's device: st_dev of the top of its tree (one number for all its
    mounts, as a superblock's)."""
    try:
        return top.inode.stat().dev
    except SysError:  # a host root gone: the filesystem's own number
        return m.fs.dev


def mounts(t: Any, tg: Any) -> bytes:
    """/proc/<pid>/mounts: source, mount point, type, options (a read-only superblock
    makes the mount ro), "0 0"."""
    out = []
    for m, where in _visible(tg):
        opts = mount_options(m)
        if m.fs.read_only and not m.flags & MS_RDONLY:
            opts = b"ro" + opts[2:]
        out.append(b"%s %s %s %s 0 0\n" % (escape(m.fs.source().encode()), escape(where),
                                            escape(m.fs.name.encode()), opts))
    return b"".join(out)


def mountinfo_line(m: Any, where: bytes, dev: int, root: bytes = b"/") -> bytes:
    parent = m.parent.id if m.parent is not None else m.id
    sb = b"ro" if m.fs.read_only else b"rw"
    return b"%d %d %d:%d %s %s %s - %s %s %s\n" % (
        m.id, parent, os.major(dev), os.minor(dev), escape(root),
        escape(where), mount_options(m), escape(m.fs.name.encode()),
        escape(m.fs.source().encode()), sb)


def mountinfo(t: Any, tg: Any) -> bytes:
    """/proc/<pid>/mountinfo (proc_pid_mountinfo(5))."""
    order = tg.leader.fs.root.mount.vfs.order
    out = []
    for m, where in _visible(tg):
        root, top = root_field(m, order)
        out.append(mountinfo_line(m, where, _dev(m, top), root))
    return b"".join(out)

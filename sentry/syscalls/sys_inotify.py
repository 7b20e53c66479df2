"""inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch (fsimpl/inotify.py)."""

from __future__ import annotations

from sentry.abi.errno import EINVAL, ENOTDIR
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.vfs import fsnotify, ops
from sentry.vfs.constants import AT_FDCWD, O_CLOEXEC, O_NONBLOCK
from sentry.vfs.fsimpl.inotify import (
    IN_ALL_EVENTS, IN_DONT_FOLLOW, IN_MASK_ADD, IN_MASK_CREATE, IN_ONLYDIR, VALID, InotifyFile,
)
from sentry.vfs.perm import MAY_READ, check_access


def _init(t: Task, flags: int) -> int:
    if flags & ~(O_CLOEXEC | O_NONBLOCK):
        raise EINVAL()
    return t.fds.install(InotifyFile(flags), bool(flags & O_CLOEXEC))


def sys_inotify_init(t: Task, a: Args) -> int:
    """Implements inotify_init(2)."""
    return _init(t, 0)


def sys_inotify_init1(t: Task, a: Args) -> int:
    """Implements inotify_init1(2)."""
    return _init(t, a.int(0))


def sys_inotify_add_watch(t: Task, a: Args) -> int:
    """Implements inotify_add_watch(2). Differences: see sentry/vfs/fsimpl/inotify.py."""
    fd, mask = a.int(0), a.uint(2)
    f = t.fds.get(fd)
    if not isinstance(f, InotifyFile):
        raise EINVAL()
    if mask & ~VALID or not mask & IN_ALL_EVENTS:
        raise EINVAL()
    if mask & IN_MASK_ADD and mask & IN_MASK_CREATE:
        raise EINVAL()
    vd = ops.lookup(t, AT_FDCWD, t.mem.read_path(a.ptr(1)), not mask & IN_DONT_FOLLOW)
    inode = vd.dentry.inode
    if mask & IN_ONLYDIR and not inode.is_dir():
        raise ENOTDIR()
    check_access(t.creds, inode.stat(), MAY_READ)
    return f.add_watch(vd.mount.vfs.watches, fsnotify.key_of(inode), mask)


def sys_inotify_rm_watch(t: Task, a: Args) -> int:
    """Implements inotify_rm_watch(2)."""
    f = t.fds.get(a.int(0))
    if not isinstance(f, InotifyFile):
        raise EINVAL()
    f.rm_watch(a.int(1))
    return 0

"""Extended attributes: get/set/list/remove and their l* and f* forms.

Linux semantics: names need a known namespace prefix (else EOPNOTSUPP); user.* attributes
exist only on regular files and directories; trusted.* is root's only; a value larger
than the caller's buffer is ERANGE, and size 0 asks for the length.
"""

from __future__ import annotations

from sentry.abi.errno import (
    E2BIG, EBADF, EINVAL, ENAMETOOLONG, ENODATA, ENOTSUP, EPERM, ERANGE, EROFS,
)
from sentry.abi.stat import S_IFDIR, S_IFMT, S_IFREG
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.vfs import fsnotify
from sentry.vfs import ops
from sentry.vfs.constants import AT_FDCWD, MS_RDONLY
from sentry.vfs.dentry import VirtualDentry
from sentry.vfs.perm import MAY_READ, MAY_WRITE, check_access
from sentry.kernel.creds import CAP_SYS_ADMIN, capable

XATTR_NAME_MAX = 255
XATTR_SIZE_MAX = 65536
XATTR_LIST_MAX = 65536
XATTR_CREATE, XATTR_REPLACE = 1, 2
_PREFIXES = (b"user.", b"trusted.", b"security.", b"system.")


def _name(t: Task, addr: int) -> bytes:
    try:
        name = t.mem.read_cstr(addr, XATTR_NAME_MAX + 1)
    except ENAMETOOLONG:
        raise ERANGE() from None
    if not name:
        raise ERANGE()
    if not name.startswith(_PREFIXES):
        raise ENOTSUP()
    return name


def _vd_path(t: Task, a: Args, follow: bool) -> VirtualDentry:
    return ops.lookup(t, AT_FDCWD, t.mem.read_path(a.ptr(0)), follow)


def _vd_fd(t: Task, a: Args) -> VirtualDentry:
    f = t.fds.get(a.int(0))
    if f.is_path:
        raise EBADF()
    if f.vd is None:
        raise ENOTSUP()
    return f.vd


def _check(t: Task, vd: VirtualDentry, name: bytes, want: int) -> None:
    """Namespace rules; raises what Linux raises for a read (want=READ) or a write."""
    st = vd.dentry.inode.stat()
    if name.startswith(b"trusted.") and not capable(t.creds, CAP_SYS_ADMIN):
        raise ENODATA() if want == MAY_READ else EPERM()
    if name.startswith(b"user."):
        if st.mode & S_IFMT not in (S_IFREG, S_IFDIR):
            raise ENODATA() if want == MAY_READ else EPERM()
        check_access(t.creds, st, want)
    if want == MAY_WRITE and (vd.mount.flags & MS_RDONLY or vd.mount.fs.read_only):
        raise EROFS()


def _get(t: Task, vd: VirtualDentry, a: Args) -> int:
    name, buf, size = _name(t, a.ptr(1)), a.ptr(2), a.size(3)
    _check(t, vd, name, MAY_READ)
    if name.startswith(b"system.posix_acl"):
        raise ENODATA()  # no ACLs: mode bits only
    value = vd.dentry.inode.getxattr(name)
    if size == 0:
        return len(value)
    if len(value) > size:
        raise ERANGE()
    t.mem.write(buf, value)
    return len(value)


def _list(t: Task, vd: VirtualDentry, a: Args) -> int:
    buf, size = a.ptr(1), a.size(2)
    names = vd.dentry.inode.listxattr()
    if not capable(t.creds, CAP_SYS_ADMIN):
        names = [n for n in names if not n.startswith(b"trusted.")]
    data = b"".join(n + b"\0" for n in names)
    if size == 0:
        return len(data)
    if len(data) > min(size, XATTR_LIST_MAX):
        raise ERANGE() if len(data) <= XATTR_LIST_MAX else E2BIG()
    t.mem.write(buf, data)
    return len(data)


def _set(t: Task, vd: VirtualDentry, a: Args) -> int:
    name, value, size, flags = _name(t, a.ptr(1)), a.ptr(2), a.size(3), a.int(4)
    if flags & ~(XATTR_CREATE | XATTR_REPLACE):
        raise EINVAL()
    if size > XATTR_SIZE_MAX:
        raise E2BIG()
    data = t.mem.read(value, size)
    _check(t, vd, name, MAY_WRITE)
    if name.startswith((b"system.", b"security.")) and not capable(t.creds, CAP_SYS_ADMIN):
        raise EPERM()
    vd.dentry.inode.setxattr(name, data, flags)
    if fsnotify.active:
        fsnotify.vd_event(vd, fsnotify.IN_ATTRIB)
    return 0


def _remove(t: Task, vd: VirtualDentry, a: Args) -> int:
    name = _name(t, a.ptr(1))
    _check(t, vd, name, MAY_WRITE)
    vd.dentry.inode.removexattr(name)
    if fsnotify.active:
        fsnotify.vd_event(vd, fsnotify.IN_ATTRIB)
    return 0


def sys_getxattr(t: Task, a: Args) -> int:
    """Implements getxattr(2). Differences: no POSIX ACLs (system.posix_acl_*: ENODATA)."""
    return _get(t, _vd_path(t, a, True), a)


def sys_lgetxattr(t: Task, a: Args) -> int:
    """Implements lgetxattr(2). Differences: as getxattr."""
    return _get(t, _vd_path(t, a, False), a)


def sys_fgetxattr(t: Task, a: Args) -> int:
    """Implements fgetxattr(2). Differences: as getxattr."""
    return _get(t, _vd_fd(t, a), a)


def sys_listxattr(t: Task, a: Args) -> int:
    """Implements listxattr(2)."""
    return _list(t, _vd_path(t, a, True), a)


def sys_llistxattr(t: Task, a: Args) -> int:
    """Implements llistxattr(2)."""
    return _list(t, _vd_path(t, a, False), a)


def sys_flistxattr(t: Task, a: Args) -> int:
    """Implements flistxattr(2)."""
    return _list(t, _vd_fd(t, a), a)


def sys_setxattr(t: Task, a: Args) -> int:
    """Implements setxattr(2). Differences: tmpfs/overlay keep them in memory; no ACLs."""
    return _set(t, _vd_path(t, a, True), a)


def sys_lsetxattr(t: Task, a: Args) -> int:
    """Implements lsetxattr(2). Differences: as setxattr."""
    return _set(t, _vd_path(t, a, False), a)


def sys_fsetxattr(t: Task, a: Args) -> int:
    """Implements fsetxattr(2). Differences: as setxattr."""
    return _set(t, _vd_fd(t, a), a)


def sys_removexattr(t: Task, a: Args) -> int:
    """Implements removexattr(2)."""
    return _remove(t, _vd_path(t, a, True), a)


def sys_lremovexattr(t: Task, a: Args) -> int:
    """Implements lremovexattr(2)."""
    return _remove(t, _vd_path(t, a, False), a)


def sys_fremovexattr(t: Task, a: Args) -> int:
    """Implements fremovexattr(2)."""
    return _remove(t, _vd_fd(t, a), a)

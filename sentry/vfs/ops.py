"""Path-based operations with Linux's checks: what the *at syscall handlers call.

Every function takes the calling Task `t` (t.fs for root/cwd/umask, t.fds for dirfds,
t.creds for permissions) and raises SysError subclasses.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sentry.abi.errno import (
    EACCES, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, ENOTEMPTY, ENXIO,
    EPERM, EROFS, EXDEV,
)
from sentry.abi.stat import (
    S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID,
    Stat, pack_stat,
)
from sentry.vfs.constants import (
    AT_EMPTY_PATH, AT_FDCWD, MS_NODEV, MS_NOEXEC, MS_RDONLY, O_ACCMODE, O_CREAT, O_DIRECTORY,
    O_EXCL, O_LARGEFILE, O_NOCTTY, O_NOFOLLOW, O_PATH, O_RDONLY, O_TMPFILE, O_TRUNC, O_WRONLY,
    RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT, STATUS_KEEP,
)
from sentry.vfs import fsnotify
from sentry.vfs.dentry import Dentry, VirtualDentry
from sentry.vfs.file import FileDescription, PathFile
from sentry.vfs.inode import SetAttr
from sentry.kernel.creds import (
    CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FSETID, CAP_MKNOD, cap_mask, capable,
)
from sentry.vfs.perm import (
    MAY_EXEC, MAY_READ, MAY_WRITE, check_access, check_hardlink, check_sticky, is_owner,
)
from sentry.vfs.resolve import ScopedWalker, Walker, lookup_child

UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2

# Opens a FIFO: fifo_opener(t, vd, flags) -> FileDescription. The pipe implementation
# registers it (sentry.vfs.fsimpl.pipe.register_fifo_opener); without it FIFOs give ENXIO.
fifo_opener: Any = None


# --- starting points ----------------------------------------------------------------
def start_of(t: Any, dirfd: int, path: bytes) -> VirtualDentry:
    """Where a relative `path` starts: cwd for AT_FDCWD, else dirfd's directory (ENOTDIR)."""
    if path.startswith(b"/") or dirfd == AT_FDCWD:
        return t.fs.cwd
    f = t.fds.get(dirfd)
    if f.vd is None or (path and not f.vd.dentry.inode.is_dir()):
        raise ENOTDIR()
    return f.vd


def walker(t: Any, dirfd: int, path: bytes, resolve: int = 0) -> Walker:
    """A walk of `path` from dirfd; with openat2's RESOLVE_* flags a ScopedWalker, which
    starts at dirfd's directory even for an absolute path (RESOLVE_IN_ROOT's root)."""
    if not path:
        raise ENOENT()
    if resolve:
        return ScopedWalker(t, t.fs.root, start_of(t, dirfd, b"."), path, resolve)
    return Walker(t, t.fs.root, start_of(t, dirfd, path), path)


_WALKS_MAX = 4096
_SEARCH_ANY = cap_mask(CAP_DAC_READ_SEARCH, CAP_DAC_OVERRIDE)


def resolve_path(t: Any, dirfd: int, path: bytes, follow: bool) -> VirtualDentry:
    """walker(t, dirfd, path).resolve(follow), remembered in the VFS's walk cache.

    Only walks from the root or the cwd are kept, and only pure ones (Walker.pure). The
    key holds the credentials the searches were checked against; CAP_DAC_READ_SEARCH or
    CAP_DAC_OVERRIDE may search every directory, so a key with either ignores the ids.
    """
    root = t.fs.root
    if path[:1] == b"/":
        start = None
    elif dirfd == AT_FDCWD:
        start = t.fs.cwd
    else:
        return walker(t, dirfd, path).resolve(follow)
    c = t.creds
    key = (path, follow, root, start,
           0 if c.effective & _SEARCH_ANY else (c.fsuid, c.fsgid, tuple(c.groups)))
    walks = root.mount.vfs.walks
    vd = walks.get(key)
    if vd is not None:
        return vd
    w = walker(t, dirfd, path)
    vd = w.resolve(follow)
    if w.pure:
        if len(walks) >= _WALKS_MAX:
            walks.clear()
        walks[key] = vd
    return vd


def lookup(
    t: Any, dirfd: int, path: bytes, follow: bool = True, at_flags: int = 0
) -> VirtualDentry:
    """Resolves an existing file; with AT_EMPTY_PATH an empty path names dirfd itself."""
    if not path:
        if at_flags & AT_EMPTY_PATH:
            if dirfd == AT_FDCWD:
                return t.fs.cwd
            f = t.fds.get(dirfd)
            if f.vd is None:
                raise ENOENT()  # callers with anonymous files use f directly
            return f.vd
        raise ENOENT()
    return resolve_path(t, dirfd, path, follow)


def stat_at(t: Any, dirfd: int, path: bytes, follow: bool, at_flags: int = 0) -> Stat:
    if not path and at_flags & AT_EMPTY_PATH and dirfd != AT_FDCWD:
        return t.fds.get(dirfd).stat()
    vd = lookup(t, dirfd, path, follow, at_flags)
    st = vd.dentry.inode.stat()
    st.mnt_id = vd.mount.id
    return st


def stat_bytes_at(t: Any, dirfd: int, path: bytes, follow: bool, at_flags: int = 0) -> bytes:
    """stat_at as the x86-64 `struct stat` (stat, lstat, newfstatat)."""
    if not path:
        if at_flags & AT_EMPTY_PATH and dirfd != AT_FDCWD:
            return pack_stat(t.fds.get(dirfd).stat())
        return lookup(t, dirfd, path, follow, at_flags).dentry.inode.stat_bytes()
    return resolve_path(t, dirfd, path, follow).dentry.inode.stat_bytes()


# --- checks -------------------------------------------------------------------------
def _read_only(vd: VirtualDentry) -> bool:
    return bool(vd.mount.flags & MS_RDONLY) or vd.mount.fs.read_only


def check_dir_write(t: Any, d: VirtualDentry) -> None:
    """May create or remove entries in the directory d (EROFS, EACCES)."""
    if _read_only(d):
        raise EROFS()
    check_access(t.creds, d.dentry.inode.stat(), MAY_WRITE | MAY_EXEC)


def _child(t: Any, parent: VirtualDentry, name: bytes) -> VirtualDentry | None:
    try:
        d = lookup_child(t, parent.dentry, name)
    except ENOENT:
        return None
    return parent.mount.vfs.covering(VirtualDentry(parent.mount, d))


def _add(parent: VirtualDentry, name: bytes, inode: Any) -> VirtualDentry:
    d = Dentry(inode, name, parent.dentry)
    if parent.dentry.inode.fs.cache_dentries:
        parent.dentry.children[name] = d
    return VirtualDentry(parent.mount, d)


def _drop(parent: VirtualDentry, name: bytes) -> None:
    parent.mount.vfs.walks.clear()
    d = parent.dentry.children.pop(name, None)
    if d is not None:
        d.dead = True


def _is_mountpoint(vd: VirtualDentry) -> bool:
    return (vd.mount, vd.dentry) in vd.mount.vfs.mounts or vd.dentry is vd.mount.root


# --- open ---------------------------------------------------------------------------
def open_at(t: Any, dirfd: int, path: bytes, flags: int, mode: int,
            resolve: int = 0) -> FileDescription:
    """The core of openat(2) and openat2(2), whose RESOLVE_* flags are `resolve` (see
    sentry.syscalls.sys_file.open_file)."""
    if flags & O_TMPFILE == O_TMPFILE:
        return _open_tmpfile(t, dirfd, path, flags, mode, resolve)
    created = False
    if not flags & O_CREAT or flags & O_PATH:
        if not path:
            raise ENOENT()
        if resolve:
            vd = walker(t, dirfd, path, resolve).resolve(not flags & O_NOFOLLOW)
        else:
            vd = resolve_path(t, dirfd, path, not flags & O_NOFOLLOW)
    else:
        w = walker(t, dirfd, path, resolve)
        if flags & O_DIRECTORY:
            raise EINVAL()
        while True:
            parent, name = w.parent()
            if name in (b"", b".", b"..") or w.must_dir:
                raise EISDIR()
            child = _child(t, parent, name)
            if child is None:
                check_dir_write(t, parent)
                perm = mode & 0o7777 & ~t.fs.umask
                vd = _add(parent, name, parent.dentry.inode.create(t, name, S_IFREG | perm))
                created = True
                if fsnotify.active:
                    fsnotify.created(parent, name, vd.dentry.inode)
                break
            if flags & O_EXCL:
                raise EEXIST()
            if child.dentry.inode.is_symlink():
                if flags & O_NOFOLLOW:
                    raise ELOOP()
                w.consume_last()
                w.follow(child)
                continue
            vd = child
            break
    f = open_vd(t, vd, flags, created)
    if fsnotify.active and not flags & O_PATH:
        fsnotify.file_event(f, fsnotify.IN_OPEN)
    return f


def _open_tmpfile(t: Any, dirfd: int, path: bytes, flags: int, mode: int,
                  resolve: int = 0) -> FileDescription:
    """O_TMPFILE: an unlinked file in the directory `path`; linkat(AT_EMPTY_PATH) names it."""
    if flags & O_ACCMODE == O_RDONLY or flags & O_CREAT:
        raise EINVAL()
    d = walker(t, dirfd, path, resolve).resolve(follow=not flags & O_NOFOLLOW)
    if not d.dentry.inode.is_dir():
        raise ENOTDIR()
    check_dir_write(t, d)
    inode = d.dentry.inode.tmpfile(t, S_IFREG | mode & 0o7777 & ~t.fs.umask)
    if flags & O_EXCL:
        inode.is_tmpfile = False  # never to be linked
    dentry = Dentry(inode, b"#%d" % inode.stat().ino, d.dentry)
    dentry.dead = True  # /proc/<pid>/fd shows "/dir/#ino (deleted)", as Linux does
    return inode.open(t, VirtualDentry(d.mount, dentry), flags & STATUS_KEEP | O_LARGEFILE)


_REG_SLOW = O_TRUNC | O_PATH | O_DIRECTORY
# The access an open's O_ACCMODE asks for (3, no mode of its own, asks for both).
_WANT = (MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE, MAY_READ | MAY_WRITE)


def open_vd(t: Any, vd: VirtualDentry, flags: int, created: bool = False) -> FileDescription:
    """Opens a resolved file: kind checks, permissions, devices, O_TRUNC."""
    inode = vd.dentry.inode
    # Kind and permission bits, as the walk checks them (a host file's are cached): a
    # fresh stat costs a host call, and only devices (rdev) and O_TRUNC (size) need one.
    st = inode.access_stat()
    kind = st.mode & S_IFMT
    if kind == S_IFREG and not flags & _REG_SLOW and not inode.self_opening:
        # The common open of a regular file (no O_TRUNC, O_PATH, O_DIRECTORY): of the
        # checks below only permission and a read-only mount apply, in this order.
        acc = flags & O_ACCMODE
        if not created:
            check_access(t.creds, st, _WANT[acc])
        if acc != O_RDONLY and _read_only(vd):
            raise EROFS()
        return inode.open(t, vd, flags & STATUS_KEEP | O_LARGEFILE)
    if kind in (S_IFCHR, S_IFBLK) or flags & O_TRUNC:
        st = inode.stat()
        kind = st.mode & S_IFMT
    if flags & O_DIRECTORY and kind != S_IFDIR:
        raise ENOTDIR()
    if flags & O_PATH:
        return PathFile(flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW), vd)
    if kind == S_IFLNK:
        raise ELOOP()
    acc = flags & O_ACCMODE
    writes = acc != O_RDONLY or bool(flags & O_TRUNC)
    if kind == S_IFDIR and (acc != O_RDONLY or flags & (O_CREAT | O_TRUNC)):
        raise EISDIR()
    if not created:
        want = (MAY_READ if acc != O_WRONLY else 0) | (MAY_WRITE if writes else 0)
        check_access(t.creds, st, want)
    keep = flags & STATUS_KEEP | O_LARGEFILE
    if inode.self_opening:
        return inode.open(t, vd, keep | flags & O_NOCTTY)  # terminals look at O_NOCTTY
    if kind in (S_IFCHR, S_IFBLK):
        if vd.mount.flags & MS_NODEV:
            raise EACCES()
        if kind == S_IFBLK:
            raise ENXIO()
        f = vd.mount.vfs.open_device(t, st.rdev, vd, keep | flags & O_NOCTTY)
        f.flags = (keep if f.flags == 0 else f.flags) & ~O_NOCTTY
        return f
    if kind == S_IFIFO and fifo_opener is not None:
        return fifo_opener(t, vd, keep)  # may ask the open syscall to wait (pipe.py)
    if kind in (S_IFIFO, S_IFSOCK):
        raise ENXIO()  # sockets: ENXIO as Linux
    if writes and _read_only(vd):
        raise EROFS()
    if flags & O_TRUNC and kind == S_IFREG and not created and st.size:
        inode.setattr(t, SetAttr(size=0))
        if fsnotify.active:
            fsnotify.vd_event(vd, fsnotify.IN_MODIFY)
    return inode.open(t, vd, keep)


# --- namespace changes --------------------------------------------------------------
def _new_name(t: Any, dirfd: int, path: bytes, dir_ok: bool = False) -> tuple[VirtualDentry, bytes]:
    """The parent and last name for a file to create: EEXIST if taken (or `.`/`..`), ENOENT
    for a trailing slash unless the new file is a directory."""
    w = walker(t, dirfd, path)
    parent, name = w.parent()
    if name in (b"", b".", b"..") or _child(t, parent, name) is not None:
        raise EEXIST()
    if w.must_dir and not dir_ok:
        raise ENOENT()
    return parent, name


def mkdir_at(t: Any, dirfd: int, path: bytes, mode: int) -> None:
    parent, name = _new_name(t, dirfd, path, dir_ok=True)
    check_dir_write(t, parent)
    inode = parent.dentry.inode.mkdir(t, name, S_IFDIR | mode & 0o1777 & ~t.fs.umask)
    _add(parent, name, inode)
    if fsnotify.active:
        fsnotify.created(parent, name, inode)


def mknod_at(t: Any, dirfd: int, path: bytes, mode: int, rdev: int) -> None:
    kind = mode & S_IFMT or S_IFREG
    if kind not in (S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK):
        raise EINVAL()
    if kind in (S_IFCHR, S_IFBLK) and not capable(t.creds, CAP_MKNOD):
        raise EPERM()
    parent, name = _new_name(t, dirfd, path)
    check_dir_write(t, parent)
    perm = mode & 0o7777 & ~t.fs.umask
    pi = parent.dentry.inode
    if kind == S_IFREG:
        inode = pi.create(t, name, kind | perm)
    else:
        inode = pi.mknod(t, name, kind | perm, rdev)
    _add(parent, name, inode)
    if fsnotify.active:
        fsnotify.created(parent, name, inode)


def symlink_at(t: Any, target: bytes, dirfd: int, path: bytes) -> None:
    if not target:
        raise ENOENT()
    parent, name = _new_name(t, dirfd, path)
    check_dir_write(t, parent)
    inode = parent.dentry.inode.symlink(t, name, target)
    _add(parent, name, inode)
    if fsnotify.active:
        fsnotify.created(parent, name, inode)


def link_at(t: Any, olddirfd: int, oldpath: bytes, newdirfd: int, newpath: bytes,
            follow: bool, at_flags: int) -> None:
    old = lookup(t, olddirfd, oldpath, follow, at_flags)
    parent, name = _new_name(t, newdirfd, newpath)
    if old.mount is not parent.mount:
        raise EXDEV()
    check_hardlink(t.creds, old.dentry.inode.stat())
    if old.dentry.inode.is_dir():
        raise EPERM()
    if old.dentry.dead and old.dentry.inode.stat().nlink == 0 \
            and not old.dentry.inode.is_tmpfile:
        raise ENOENT()  # a deleted file cannot get a name back (O_TMPFILE ones can, once)
    check_dir_write(t, parent)
    _add(parent, name, parent.dentry.inode.link(t, name, old.dentry.inode))
    if old.dentry.inode.is_tmpfile:
        old.dentry.inode.is_tmpfile = False  # linkable once, as Linux's I_LINKABLE
    if fsnotify.active:
        fsnotify.linked(parent, name, old.dentry.inode)


def _removable(t: Any, parent: VirtualDentry, child: VirtualDentry) -> None:
    check_dir_write(t, parent)
    check_sticky(t.creds, parent.dentry.inode.stat(), child.dentry.inode.stat())
    if _is_mountpoint(child):
        raise EBUSY()


def unlink_at(t: Any, dirfd: int, path: bytes) -> None:
    w = walker(t, dirfd, path)
    parent, name = w.parent()
    if name in (b"", b".", b".."):
        raise EISDIR()
    child = _child(t, parent, name)
    if child is None:
        raise ENOENT()
    if child.dentry.inode.is_dir():
        raise EISDIR()
    if w.must_dir:
        raise ENOTDIR()
    _removable(t, parent, child)
    before = _victim(child)
    parent.dentry.inode.unlink(t, name)
    _drop(parent, name)
    if before is not None:
        fsnotify.removed(parent, name, before[0], False, before[1])


def rmdir_at(t: Any, dirfd: int, path: bytes) -> None:
    parent, name = walker(t, dirfd, path).parent()
    if name == b".":
        raise EINVAL()
    if name == b"..":
        raise ENOTEMPTY()
    if name == b"":
        raise EBUSY()
    child = _child(t, parent, name)
    if child is None:
        raise ENOENT()
    if not child.dentry.inode.is_dir():
        raise ENOTDIR()
    _removable(t, parent, child)
    before = _victim(child)
    parent.dentry.inode.rmdir(t, name)
    _drop(parent, name)
    if before is not None:
        fsnotify.removed(parent, name, before[0], True, True)


def _victim(vd: VirtualDentry) -> tuple[tuple[int, int], bool] | None:
    """For inotify, before a removal: the victim's key and whether this is its last link."""
    if not fsnotify.active:
        return None
    st = vd.dentry.inode.stat()
    return (st.dev, st.ino), st.nlink <= 1


def _is_ancestor(a: Dentry, b: Dentry) -> bool:
    """Whether a is b or above it."""
    d: Dentry | None = b
    while d is not None:
        if d is a:
            return True
        d = d.parent
    return False


def rename_at(t: Any, olddirfd: int, oldpath: bytes, newdirfd: int, newpath: bytes,
              flags: int) -> None:
    if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) or (
        flags & RENAME_EXCHANGE and flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)
    ):
        raise EINVAL()
    if flags & RENAME_WHITEOUT and not capable(t.creds, CAP_MKNOD):
        raise EPERM()
    ow, nw = walker(t, olddirfd, oldpath), walker(t, newdirfd, newpath)
    op, oname = ow.parent()
    np_, nname = nw.parent()
    if oname in (b"", b".", b"..") or nname in (b"", b".", b".."):
        raise EBUSY()
    old = _child(t, op, oname)
    if old is None:
        raise ENOENT()
    if op.mount is not np_.mount:
        raise EXDEV()
    new = _child(t, np_, nname)
    if flags & RENAME_EXCHANGE:
        _exchange(t, op, oname, old, np_, nname, new)
        return
    old_dir = old.dentry.inode.is_dir()
    if (ow.must_dir or nw.must_dir) and not old_dir:
        raise ENOTDIR()
    if new is not None:
        if flags & RENAME_NOREPLACE:
            raise EEXIST()
        if new.dentry.inode is old.dentry.inode:
            return
        new_dir = new.dentry.inode.is_dir()
        if old_dir and not new_dir:
            raise ENOTDIR()
        if new_dir and not old_dir:
            raise EISDIR()
    if old_dir and _is_ancestor(old.dentry, np_.dentry):
        raise EINVAL()
    if new is not None and _is_ancestor(new.dentry, op.dentry):
        raise ENOTEMPTY()
    _removable(t, op, old)
    check_dir_write(t, np_)
    if new is not None:
        _removable(t, np_, new)
    if old_dir and op.dentry is not np_.dentry:
        check_access(t.creds, old.dentry.inode.stat(), MAY_WRITE)
    if flags & RENAME_WHITEOUT and not op.mount.fs.whiteouts:
        raise EINVAL()  # as Linux, per filesystem (overlayfs and host dirs: EINVAL)
    replaced = _victim(new) if new is not None else None
    op.dentry.inode.rename(t, oname, np_.dentry.inode, nname, flags & ~RENAME_WHITEOUT)
    op.mount.vfs.walks.clear()
    if fsnotify.active:
        fsnotify.moved(op, oname, np_, nname, old.dentry.inode)
        if replaced is not None and (replaced[1] or new_dir):
            np_.mount.vfs.watches.send(replaced[0], fsnotify.IN_DELETE_SELF)
            np_.mount.vfs.watches.gone(replaced[0])
    d = op.dentry.children.pop(oname, None)
    _drop(np_, nname)
    if d is not None and np_.dentry.inode.fs.cache_dentries:
        d.name, d.parent = nname, np_.dentry
        np_.dentry.children[nname] = d
    if flags & RENAME_WHITEOUT:  # a 0:0 character device takes the old name
        _add(op, oname, op.dentry.inode.mknod(t, oname, S_IFCHR, 0))


def _exchange(t: Any, op: VirtualDentry, oname: bytes, old: VirtualDentry,
              np_: VirtualDentry, nname: bytes, new: VirtualDentry | None) -> None:
    """renameat2(RENAME_EXCHANGE): both names must exist; they swap atomically."""
    if new is None:
        raise ENOENT()
    if new.dentry.inode is old.dentry.inode:
        return
    if _is_ancestor(old.dentry, np_.dentry) or _is_ancestor(new.dentry, op.dentry):
        raise EINVAL()
    _removable(t, op, old)
    _removable(t, np_, new)
    if op.dentry is not np_.dentry:
        for vd in (old, new):
            if vd.dentry.inode.is_dir():
                check_access(t.creds, vd.dentry.inode.stat(), MAY_WRITE)
    op.dentry.inode.rename(t, oname, np_.dentry.inode, nname, RENAME_EXCHANGE)
    op.mount.vfs.walks.clear()
    if fsnotify.active:
        fsnotify.moved(op, oname, np_, nname, old.dentry.inode)
        fsnotify.moved(np_, nname, op, oname, new.dentry.inode)
    d_old = op.dentry.children.pop(oname, None)
    d_new = np_.dentry.children.pop(nname, None)
    cache = np_.dentry.inode.fs.cache_dentries
    for d, name, parent in ((d_old, nname, np_.dentry), (d_new, oname, op.dentry)):
        if d is not None and cache:
            d.name, d.parent = name, parent
            parent.children[name] = d


def readlink_at(t: Any, dirfd: int, path: bytes, at_flags: int = AT_EMPTY_PATH) -> bytes:
    vd = lookup(t, dirfd, path, False, at_flags)
    if not vd.dentry.inode.is_symlink():
        raise EINVAL() if path else ENOENT()
    return vd.dentry.inode.readlink(t)


# --- attributes ---------------------------------------------------------------------
def _check_setattr(vd: VirtualDentry) -> None:
    if _read_only(vd):
        raise EROFS()


def chmod_vd(t: Any, vd: VirtualDentry, mode: int) -> None:
    st = vd.dentry.inode.stat()
    _check_setattr(vd)
    if not is_owner(t.creds, st):
        raise EPERM()
    mode &= 0o7777
    if not t.creds.in_group(st.gid) and not capable(t.creds, CAP_FSETID):
        mode &= ~S_ISGID
    vd.dentry.inode.setattr(t, SetAttr(mode=st.mode & S_IFMT | mode))
    vd.mount.vfs.walks.clear()  # search permission may have changed
    if fsnotify.active:
        fsnotify.vd_event(vd, fsnotify.IN_ATTRIB)


def chown_vd(t: Any, vd: VirtualDentry, uid: int, gid: int) -> None:
    st = vd.dentry.inode.stat()
    _check_setattr(vd)
    uid = None if uid == 0xFFFFFFFF else uid  # uid_t: (uid_t)-1 means "unchanged"
    gid = None if gid == 0xFFFFFFFF else gid
    c = t.creds
    if not capable(c, CAP_CHOWN):
        if uid is not None and uid != st.uid:
            raise EPERM()
        if gid is not None and gid != st.gid and (c.fsuid != st.uid or not c.in_group(gid)):
            raise EPERM()
        if c.fsuid != st.uid and (uid is not None or gid is not None):
            raise EPERM()
    attrs = SetAttr(uid=uid, gid=gid)
    if (uid is not None or gid is not None) and st.mode & S_IFMT != S_IFDIR:
        kill = S_ISUID | (S_ISGID if st.mode & 0o010 else 0)
        if st.mode & kill:
            attrs.mode = st.mode & ~kill
    vd.dentry.inode.setattr(t, attrs)
    vd.mount.vfs.walks.clear()  # search permission may have changed
    if fsnotify.active:
        fsnotify.vd_event(vd, fsnotify.IN_ATTRIB)


def truncate_vd(t: Any, vd: VirtualDentry, size: int,
                grow_check: Callable[[int], None] | None = None) -> None:
    """truncate(2) of a path; grow_check(old size) may refuse (RLIMIT_FSIZE)."""
    st = vd.dentry.inode.stat()
    if st.mode & S_IFMT == S_IFDIR:
        raise EISDIR()
    if st.mode & S_IFMT != S_IFREG or size < 0:
        raise EINVAL()
    check_access(t.creds, st, MAY_WRITE)
    _check_setattr(vd)
    if grow_check is not None:
        grow_check(st.size)
    vd.dentry.inode.setattr(t, SetAttr(size=size))
    if fsnotify.active:
        fsnotify.vd_event(vd, fsnotify.IN_MODIFY)


Times = tuple[tuple[int, int], tuple[int, int]]


def utimes_vd(t: Any, vd: VirtualDentry, times: Times | None) -> None:
    """utimensat on a resolved file; times None means both UTIME_NOW."""
    st = vd.dentry.inode.stat()
    now = time.time_ns()
    if times is None:
        times = ((0, UTIME_NOW), (0, UTIME_NOW))
    vals: list[int | None] = []
    for sec, nsec in times:
        if nsec == UTIME_OMIT:
            vals.append(None)
        elif nsec == UTIME_NOW:
            vals.append(now)
        elif 0 <= nsec < 1_000_000_000:
            vals.append(sec * 1_000_000_000 + nsec)
        else:
            raise EINVAL()
    if vals == [None, None]:
        return
    _check_setattr(vd)
    all_now = all(ns == UTIME_NOW or ns == UTIME_OMIT for _, ns in times)
    if not is_owner(t.creds, st):
        if not all_now:
            raise EPERM()
        check_access(t.creds, st, MAY_WRITE)
    vd.dentry.inode.setattr(t, SetAttr(atime_ns=vals[0], mtime_ns=vals[1]))
    if fsnotify.active:
        fsnotify.vd_event(vd, fsnotify.IN_ATTRIB)


def access_at(t: Any, dirfd: int, path: bytes, mode: int, follow: bool, effective: bool,
              at_flags: int = 0) -> None:
    """faccessat2(2) once its mode (0-7) and flags are checked (sys_stat, before the path
    is read): real ids unless `effective` (AT_EACCESS)."""
    vd = lookup(t, dirfd, path, follow, at_flags)
    if mode == 0:
        return
    creds = t.creds
    if not effective:
        creds = creds.for_real_ids()
    st = vd.dentry.inode.stat()
    if mode & 1 and st.mode & S_IFMT == S_IFREG and vd.mount.flags & MS_NOEXEC:
        raise EACCES()
    check_access(creds, st, (MAY_READ if mode & 4 else 0) | (MAY_WRITE if mode & 2 else 0)
                 | (MAY_EXEC if mode & 1 else 0))
    if mode & 2 and _read_only(vd) and st.mode & S_IFMT in (S_IFREG, S_IFDIR, S_IFLNK):
        raise EROFS()  # after the permission check, as Linux's do_faccessat


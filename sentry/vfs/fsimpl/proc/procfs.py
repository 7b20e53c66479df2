"""procfs: /proc/self, /proc/<pid>/..., and a few machine-wide files.

Contents are generated when a file is opened (a snapshot, as Linux's seq_files do per
read) from the kernel state described in protocol.py. Nothing here reads the guest's
files; machine values come from the Sentry's own view (os.uname, sysconf, host cpuinfo).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from typing import Any

from sentry.abi.errno import EACCES, EINVAL, ENOENT
from sentry.kernel import sysctl
from sentry.kernel.creds import CAP_NET_ADMIN, capable
from sentry.abi.stat import S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, Stat, dtype_of
from sentry.vfs.constants import O_ACCMODE, O_RDONLY
from sentry.vfs.dentry import Dentry, VirtualDentry
from sentry.vfs.file import DirectoryFile, SeekableFile
from sentry.vfs.fsimpl.proc import machine
from sentry.vfs.inode import DirEntry, FileSystem, Inode

PROC_SUPER_MAGIC = 0x9FA0
Gen = Callable[[Any], bytes]


def _ino(key: str) -> int:
    return zlib.crc32(key.encode()) | 1 << 32


class ProcFS(FileSystem):
    name = "proc"
    magic = PROC_SUPER_MAGIC
    cache_dentries = False

    def __init__(self) -> None:
        super().__init__()
        self.created = time.monotonic()
        self.boot_ns = time.time_ns()
        self.root = ProcDir(self, "/", 0o555, _root_entries, owner=None)
        self.mount: Any = None  # set by whoever mounts it (for /proc/<pid>/fd/N of pipes)


class ProcInode(Inode):
    def __init__(self, fs: ProcFS, key: str, mode: int, owner: Any = None) -> None:
        self.fs = fs
        self.key = key
        self._mode = mode
        self.owner = owner  # a ProcThreadGroup, or None for root-owned

    @property
    def mode(self) -> int:
        return self._mode

    def stat(self) -> Stat:
        uid = gid = 0
        # task_dump_owner: the task's effective ids; root's for a task that is not
        # dumpable, except on the 0555 directories (/proc/<pid> itself).
        if self.owner is not None and (getattr(self.owner, "dumpable", 1) == 1
                                       or self._mode == S_IFDIR | 0o555):
            c = self.owner.leader.creds
            uid, gid = c.euid, c.egid
        ns = self.fs.boot_ns
        nlink = 2 if self._mode & S_IFMT == S_IFDIR else 1
        return Stat(dev=self.fs.dev, ino=_ino(self.key), nlink=nlink, mode=self._mode, uid=uid,
                    gid=gid, atime_ns=ns, mtime_ns=ns, ctime_ns=ns)


class ProcDir(ProcInode):
    """A directory whose entries come from `entries(t)`: name → factory of the child."""

    def __init__(self, fs: ProcFS, key: str, perm: int,
                 entries: Callable[[Any, ProcDir], dict[bytes, Callable[[], Inode]]],
                 owner: Any = None) -> None:
        super().__init__(fs, key, S_IFDIR | perm, owner)
        self.entries = entries

    def lookup(self, t: Any, name: bytes) -> Inode:
        make = self.entries(t, self).get(name)
        if make is None:
            raise ENOENT()
        return make()

    def iterdir(self, t: Any) -> list[DirEntry]:
        out = []
        for name, make in self.entries(t, self).items():
            child = make()
            out.append(DirEntry(name, _ino(getattr(child, "key", "")), dtype_of(child.mode)))
        return out

    def open(self, t: Any, vd: Any, flags: int) -> Any:
        return DirectoryFile(flags, vd)


class ProcLink(ProcInode):
    """A symlink; `magic(t)` (if given) resolves it to the file itself, as Linux's do."""

    def __init__(self, fs: ProcFS, key: str, target: Gen,
                 magic: Callable[[Any], VirtualDentry | None] | None = None,
                 owner: Any = None, perm: int = 0o777, size: int = 0) -> None:
        super().__init__(fs, key, S_IFLNK | perm, owner)
        self.target = target
        self.magic = magic
        self.size = size

    def stat(self) -> Stat:
        st = super().stat()
        st.size = self.size
        return st

    def readlink(self, t: Any) -> bytes:
        return self.target(t)

    def follow_link(self, t: Any) -> VirtualDentry | None:
        return self.magic(t) if self.magic else None


class ProcFile(ProcInode):
    """A read-only file generated at open."""

    def __init__(
        self, fs: ProcFS, key: str, gen: Gen, owner: Any = None, perm: int = 0o444
    ) -> None:
        super().__init__(fs, key, S_IFREG | perm, owner)
        self.gen = gen

    def open(self, t: Any, vd: Any, flags: int) -> Any:
        if flags & O_ACCMODE != O_RDONLY:
            raise EACCES()
        return BytesFile(flags, vd, self.gen(t))


class BytesFile(SeekableFile):
    """An open snapshot."""

    def __init__(self, flags: int, vd: Any, data: bytes) -> None:
        super().__init__(flags, vd)
        self.data = data

    def pread_at(self, n: int, off: int) -> bytes:
        return self.data[off:off + n]

    def size(self) -> int:
        return len(self.data)


class AnonFileInode(Inode):
    """What /proc/<pid>/fd/N leads to for a file without a path (pipe, socket, stdio)."""

    self_opening = True  # core must not route it to a device driver by its rdev

    def __init__(self, fs: ProcFS, f: Any) -> None:
        self.fs = fs
        self.file = f

    def stat(self) -> Stat:
        return self.file.stat()

    def open(self, t: Any, vd: Any, flags: int) -> Any:
        reopen = getattr(self.file, "reopen", None)
        if reopen is None:
            raise ENOENT()
        return reopen(flags)


# --- the tree -----------------------------------------------------------------------
def _tg(t: Any, pid: int) -> Any:
    tg = t.kernel.thread_groups.get(pid)
    if tg is None:
        raise ENOENT()
    return tg


def _root_entries(t: Any, d: ProcDir) -> dict[bytes, Callable[[], Inode]]:
    fs = d.fs
    e: dict[bytes, Callable[[], Inode]] = {
        b"self": lambda: ProcLink(fs, "self", lambda t: b"%d" % t.vpid),
        b"thread-self": lambda: ProcLink(fs, "thread-self",
                                         lambda t: b"%d/task/%d" % (t.vpid, t.vtid)),
        b"mounts": lambda: ProcLink(fs, "mounts", lambda t: b"self/mounts"),
        b"sys": lambda: ProcDir(fs, "sys", 0o555, _sys_entries),
    }
    for name, gen in machine.FILES.items():
        e[name.encode()] = (lambda n=name, g=gen: ProcFile(fs, n, lambda t: g(t, fs)))
    for pid in sorted(t.kernel.thread_groups):
        e[b"%d" % pid] = (lambda p=pid: _pid_dir(fs, t, p))
    return e


def _sys_entries(t: Any, d: ProcDir) -> dict[bytes, Callable[[], Inode]]:
    return _sysctl_dir("")(t, d)


def _sysctl_dir(prefix: str) -> Callable[[Any, ProcDir], dict[bytes, Callable[[], Inode]]]:
    """/proc/sys/<prefix as a path>: the sysctls under `prefix` (sentry/kernel/sysctl.py),
    and in kernel/ and fs/ the machine's read-only names too (machine.SYS_READONLY)."""
    def entries(t: Any, d: ProcDir) -> dict[bytes, Callable[[], Inode]]:
        fs = d.fs
        out: dict[bytes, Callable[[], Inode]] = {}
        for name, (perm, gen) in machine.SYS_READONLY.get(prefix, {}).items():
            key = "sys/" + prefix.replace(".", "/") + name
            out[name.encode()] = lambda k=key, g=gen, p=perm: ProcFile(fs, k, g, perm=p)
        for key in sysctl.KEYS:
            if not key.startswith(prefix):
                continue
            head, dot, _ = key[len(prefix):].partition(".")
            sub = prefix + head
            if dot:
                out[head.encode()] = lambda s=sub: ProcDir(
                    fs, "sys/" + s.replace(".", "/"), 0o555, _sysctl_dir(s + "."))
            else:
                out[head.encode()] = lambda s=sub: SysctlFile(fs, s)
        return out

    return entries


class SysctlFile(ProcInode):
    """A /proc/sys file: the sandbox's value of one sysctl, writable by root (0644)."""

    def __init__(self, fs: ProcFS, name: str) -> None:
        super().__init__(fs, "sys/" + name.replace(".", "/"), S_IFREG | 0o644)
        self.name = name

    def open(self, t: Any, vd: Any, flags: int) -> Any:
        """Linux's sysctl permission replaces the mode check: writers are euid 0, or for
        net.* CAP_NET_ADMIN (CAP_DAC_OVERRIDE does not count)."""
        c = t.creds
        if flags & O_ACCMODE != O_RDONLY and c.euid != 0 and not (
                self.name.startswith("net.") and capable(c, CAP_NET_ADMIN)):
            raise EACCES()
        return SysctlOpen(flags, vd, t.kernel.sysctl, self.name)


class SysctlOpen(BytesFile):
    def __init__(self, flags: int, vd: Any, values: Any, name: str) -> None:
        super().__init__(flags, vd, values.get(name).encode(errors="surrogateescape") + b"\n")
        self.values, self.name = values, name

    def pwrite_at(self, data: bytes, off: int) -> int:
        """A whole value at offset 0 (Linux's sysctl_writes_strict); later writes are
        ignored. EINVAL for a value Linux refuses."""
        if off == 0:
            try:
                self.values.set(self.name, data.decode())
            except (sysctl.SysctlError, UnicodeDecodeError):
                raise EINVAL() from None
        return len(data)


def _pid_dir(fs: ProcFS, t: Any, pid: int) -> ProcDir:
    tg = _tg(t, pid)
    return ProcDir(fs, str(pid), 0o555, _task_entries(fs, tg, tg.leader, f"{pid}/", True), tg)


def _task_entries(fs: ProcFS, tg: Any, task: Any, k: str, top: bool) -> Any:
    """/proc/<pid>/ (top) or /proc/<pid>/task/<tid>/: links and files of one task.

    Differences: a thread's files show its process's values (status Pid is the tgid).
    """
    from sentry.vfs.fsimpl.proc import fdinfo, pidfiles

    def entries(t: Any, d: ProcDir) -> dict[bytes, Callable[[], Inode]]:
        e: dict[bytes, Callable[[], Inode]] = {
            b"exe": lambda: ProcLink(fs, k + "exe", lambda t: tg.exe_path, owner=tg),
            b"cwd": lambda: ProcLink(fs, k + "cwd", lambda t: _path(task.fs.cwd),
                                     lambda t: task.fs.cwd, tg),
            b"root": lambda: ProcLink(fs, k + "root", lambda t: _path(task.fs.root),
                                      lambda t: task.fs.root, tg),
            b"fd": lambda: ProcDir(fs, k + "fd", 0o500, _fd_entries(tg, task, k), tg),
            b"fdinfo": lambda: fdinfo.FdInfoDir(fs, k, tg, task),
        }
        if top:
            e[b"task"] = lambda: ProcDir(fs, k + "task", 0o555, _tasks_entries(fs, tg, k), tg)
        for name, gen in pidfiles.FILES.items():
            perm = 0o400 if name == "environ" else 0o444
            e[name.encode()] = (
                lambda n=name, g=gen, p=perm: ProcFile(fs, k + n, lambda t: g(t, tg), tg, p))
        return e

    return entries


def _tasks_entries(fs: ProcFS, tg: Any, k: str) -> Any:
    def entries(t: Any, d: ProcDir) -> dict[bytes, Callable[[], Inode]]:
        tasks = getattr(tg, "tasks", None) or [tg.leader]
        return {
            b"%d" % task.vtid: (lambda task=task: ProcDir(
                fs, f"{k}task/{task.vtid}", 0o555,
                _task_entries(fs, tg, task, f"{k}task/{task.vtid}/", False), tg))
            for task in tasks
        }

    return entries


def _path(vd: VirtualDentry) -> bytes:
    from sentry.vfs.resolve import path_of

    return path_of(vd.mount.vfs.root(), vd)


def _fd_entries(tg: Any, task: Any, k: str) -> Any:
    def entries(t: Any, d: ProcDir) -> dict[bytes, Callable[[], Inode]]:
        fs = d.fs
        out: dict[bytes, Callable[[], Inode]] = {}
        for fd, f in task.fds.items():
            out[b"%d" % fd] = (lambda fd=fd, f=f: ProcLink(
                fs, f"{k}fd/{fd}", lambda t: f.guest_path(), lambda t: _fd_target(fs, f), tg,
                _fd_perm(f), 64))
        return out

    return entries


def _fd_perm(f: Any) -> int:
    """Linux shows an fd link's open mode: r-x for reading, -wx for writing."""
    return (0o500 if f.readable else 0) | (0o300 if f.writable else 0)


def _fd_target(fs: ProcFS, f: Any) -> VirtualDentry:
    if f.vd is not None:
        return f.vd
    # An anonymous file: a detached dentry on the proc mount that opens the same object.
    if fs.mount is None:
        raise ENOENT()
    return VirtualDentry(fs.mount, Dentry(AnonFileInode(fs, f), b"anon"))

"""Advisory record locks: POSIX (fcntl F_SETLK…, owned by the process) and OFD (owned by
the open file description), on whole inodes of any filesystem.

Conflicts: two locks of different owners overlap and one of them is a write lock.
A POSIX F_SETLKW that would wait for a lock whose owner waits (through a chain of at
most MAX_DEADLK_ITERATIONS waiting owners) for the caller gets EDEADLK, as Linux's
posix_locks_deadlock; OFD locks are not checked, as in Linux.
A POSIX lock is dropped when its process closes any fd of the file (sys_close calls
release_posix) or exits (locks of an exited owner are ignored and pruned); an OFD lock
when its description is released.
"""

from __future__ import annotations

import struct
import weakref
from sentry.record import dataclass
from typing import Any

from sentry.abi.errno import EAGAIN, EBADF, EDEADLK, EINVAL
from sentry.kernel.waiter import POLLIN, WaitQueue
from sentry.vfs.constants import (
    F_GETLK, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLK, F_SETLKW, SEEK_CUR, SEEK_END,
    SEEK_SET,
)

F_RDLCK, F_WRLCK, F_UNLCK = 0, 1, 2
_FLOCK = struct.Struct("<hh4xqqi4x")  # struct flock: 32 bytes
_INF = 1 << 63
_LOCK_CMDS = (F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW)
MAX_DEADLK_ITERATIONS = 10


@dataclass
class Lock:
    owner: Any  # a thread group (POSIX) or a FileDescription (OFD)
    type: int
    start: int
    end: int  # exclusive; _INF for "to end of file"
    pid: int  # what F_GETLK reports (-1 for OFD locks); flock's: the locker's
    file: Any = None  # the description it was set through (fdinfo lists it there)


class InodeLocks:
    def __init__(self) -> None:
        self.locks: list[Lock] = []
        self.queue = WaitQueue()


_table: weakref.WeakKeyDictionary[Any, InodeLocks] = weakref.WeakKeyDictionary()
# The POSIX F_SETLKW calls waiting now: task -> (its owner, the lock it waits for).
_waiting: dict[Any, tuple[Any, Lock]] = {}


def is_lock_cmd(cmd: int) -> bool:
    return cmd in _LOCK_CMDS


def _alive(owner: Any) -> bool:
    return getattr(owner, "exit_status", None) is None and getattr(owner, "refs", 1) > 0


def _conflict(il: InodeLocks, owner: Any, typ: int, start: int, end: int) -> Lock | None:
    il.locks = [lk for lk in il.locks if _alive(lk.owner)]
    for lk in il.locks:
        if lk.owner is not owner and lk.start < end and start < lk.end:
            if typ == F_WRLCK or lk.type == F_WRLCK:
                return lk
    return None


def _apply(il: InodeLocks, owner: Any, typ: int, start: int, end: int, pid: int,
           file: Any = None) -> None:
    """Replaces owner's locks over [start, end) by `typ` (splitting ranges at the edges);
    `file`: the description the call came through."""
    kept: list[Lock] = []
    for lk in il.locks:
        if lk.owner is not owner or lk.end <= start or end <= lk.start:
            kept.append(lk)
            continue
        if lk.start < start:
            kept.append(Lock(owner, lk.type, lk.start, start, lk.pid, lk.file))
        if end < lk.end:
            kept.append(Lock(owner, lk.type, end, lk.end, lk.pid, lk.file))
    if typ != F_UNLCK:
        kept.append(Lock(owner, typ, start, end, pid, file))
    # Linux's order, which F_GETLK's "first conflicting lock" follows: owners as they first
    # locked the file, each owner's locks by start.
    rank: dict[int, int] = {}
    for lk in il.locks + kept:
        rank.setdefault(id(lk.owner), len(rank))
    kept.sort(key=lambda lk: (rank[id(lk.owner)], lk.start))
    il.locks = kept
    il.queue.notify(POLLIN)


def _range(f: Any, whence: int, start: int, length: int) -> tuple[int, int]:
    if whence == SEEK_SET:
        base = 0
    elif whence == SEEK_CUR:
        base = f.offset
    elif whence == SEEK_END:
        base = f.stat().size
    else:
        raise EINVAL()
    s = base + start
    if length > 0:
        lo, hi = s, s + length
    elif length < 0:
        lo, hi = s + length, s
    else:
        lo, hi = s, _INF
    if lo < 0:
        raise EINVAL()
    return lo, hi


async def fcntl_lock(t: Any, f: Any, cmd: int, addr: int) -> int:
    """F_GETLK/F_SETLK/F_SETLKW and their OFD forms on file f; struct flock at addr."""
    typ, whence, start, length, pid = _FLOCK.unpack(t.mem.read(addr, _FLOCK.size))
    ofd = cmd in (F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW)
    if typ not in (F_RDLCK, F_WRLCK, F_UNLCK) or (ofd and pid != 0):
        raise EINVAL()
    if f.inode is None:
        raise EINVAL()
    lo, hi = _range(f, whence, start, length)
    owner = f if ofd else t.tg
    il = _table.setdefault(f.inode, InodeLocks())
    if cmd in (F_GETLK, F_OFD_GETLK):
        lk = _conflict(il, owner, typ, lo, hi)
        if lk is None:
            out = (F_UNLCK, whence, start, length, pid)
        else:
            n = 0 if lk.end == _INF else lk.end - lk.start
            out = (lk.type, SEEK_SET, lk.start, n, lk.pid)
        t.mem.write(addr, _FLOCK.pack(*out))
        return 0
    if typ == F_RDLCK and not f.readable or typ == F_WRLCK and not f.writable:
        raise EBADF()
    while typ != F_UNLCK and (blocker := _conflict(il, owner, typ, lo, hi)) is not None:
        if cmd not in (F_SETLKW, F_OFD_SETLKW):
            raise EAGAIN()
        if not ofd and _deadlock(owner, blocker):
            raise EDEADLK()
        if not ofd:
            _waiting[t] = (owner, blocker)
        try:
            await t.wait_on(il.queue, POLLIN)
        finally:
            _waiting.pop(t, None)
    _apply(il, owner, typ, lo, hi, -1 if ofd else t.vpid, f)
    return 0


def _deadlock(caller: Any, blocker: Lock) -> bool:
    """Whether `blocker`'s owner waits, through a chain of waiting owners, for `caller`."""
    for _ in range(MAX_DEADLK_ITERATIONS + 1):
        blocker = next((lk for owner, lk in _waiting.values() if owner is blocker.owner),
                       None)
        if blocker is None:
            return False
        if blocker.owner is caller:
            return True
    return False


def release_posix(tg: Any, f: Any) -> None:
    """close(2) of any fd of the file `f` drops the process's POSIX locks on its inode."""
    if not _table.data:  # no POSIX lock anywhere (the usual close); the dict under the
        return  # weak one: len() of a WeakKeyDictionary is a Python call (~0.1 µs)
    inode = f.inode
    if inode is None:
        return
    il = _table.get(inode)
    if il is not None:
        _drop_owned(il, tg)


def _drop_owned(il: InodeLocks, tg: Any) -> None:
    """Drops tg's POSIX locks on il (its own function: the comprehensions' cell for tg
    would cost release_posix, which every close calls, its making)."""
    if any(lk.owner is tg for lk in il.locks):
        il.locks = [lk for lk in il.locks if lk.owner is not tg]
        il.queue.notify(POLLIN)


def release_exited(tg: Any) -> None:
    """A process exited: its POSIX locks go and their waiters are woken (Linux drops them
    as exit closes its files)."""
    if not _table.data:
        return
    for il in list(_table.values()):
        if any(lk.owner is tg for lk in il.locks):
            il.locks = [lk for lk in il.locks if lk.owner is not tg]
            il.queue.notify(POLLIN)


LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN = 1, 2, 4, 8
_flock_table: weakref.WeakKeyDictionary[Any, InodeLocks] = weakref.WeakKeyDictionary()


async def flock(t: Any, f: Any, op: int) -> int:
    """flock(2): whole-file locks owned by the open file description (apart from fcntl's)."""
    kind = op & ~LOCK_NB
    if kind not in (LOCK_SH, LOCK_EX, LOCK_UN) or f.inode is None:
        raise EINVAL()
    il = _flock_table.setdefault(f.inode, InodeLocks())
    if kind == LOCK_UN:
        _apply(il, f, F_UNLCK, 0, _INF, -1)
        return 0
    typ = F_RDLCK if kind == LOCK_SH else F_WRLCK
    _apply(il, f, F_UNLCK, 0, _INF, -1)  # a conversion is not atomic, as on Linux
    while _conflict(il, f, typ, 0, _INF) is not None:
        if op & LOCK_NB:
            raise EWOULDBLOCK()
        await t.wait_on(il.queue, POLLIN)
    _apply(il, f, typ, 0, _INF, t.vpid, f)
    return 0


EWOULDBLOCK = EAGAIN


def fdinfo_locks(f: Any, posix_owner: Any, dev: int, ino: int) -> bytes:
    """The `lock:` lines /proc/<pid>/fdinfo shows for f (fs/locks.c show_fd_locks): its
    flock lock, then the record locks set through f by `posix_owner` (the fd table's
    process) or owned by f (OFD), numbered from 1, in /proc/locks' format."""
    inode = f.inode
    if inode is None:
        return b""
    out = []
    where = b"%02x:%02x:%d" % (dev >> 20, dev & 0xFFFFF, ino)  # (dev: the kernel's encoding)
    for kind, table in ((b"FLOCK  ADVISORY  ", _flock_table), (None, _table)):
        il = table.get(inode)
        for lk in (il.locks if il is not None else ()):
            if lk.file is not f or not _alive(lk.owner) or (
                    lk.owner is not f and lk.owner is not posix_owner):
                continue
            k = kind or (b"OFDLCK ADVISORY  " if lk.owner is f else b"POSIX  ADVISORY  ")
            rng = b"0 EOF" if kind else b"%d %s" % (
                lk.start, b"EOF" if lk.end == _INF else b"%d" % (lk.end - 1))
            out.append(b"lock:\t%d: %s%s %d %s %s\n" % (
                len(out) + 1, k, b"WRITE" if lk.type == F_WRLCK else b"READ", lk.pid, where,
                rng))
    return b"".join(out)

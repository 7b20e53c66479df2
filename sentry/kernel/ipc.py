"""What SysV shared memory, semaphores and message queues share (Linux's ipc/util.c): an
object's permissions (struct kern_ipc_perm), its id, and the ids of one kind in the
sandbox's IPC namespace, made and looked up as Linux does.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from sentry.abi.errno import EACCES, EEXIST, EINVAL, ENOENT, ENOSPC, EPERM
from sentry.kernel.creds import CAP_IPC_OWNER, CAP_SYS_ADMIN, Credentials, capable

IPC_PRIVATE = 0
IPC_CREAT, IPC_EXCL = 0o1000, 0o2000
SEQ_SHIFT = 15  # Linux's IPCMNI_SHIFT: id = seq << 15 | index
SEQ_MAX = (1 << 16) - 1


class IpcObject:
    """One object's key, id and permissions (its creator's and owner's ids, mode)."""

    __slots__ = ("key", "index", "seq", "uid", "gid", "cuid", "cgid", "mode", "ctime")

    def __init__(self, key: int, index: int, seq: int, c: Credentials, mode: int) -> None:
        self.key, self.index, self.seq = key, index, seq
        self.uid = self.cuid = c.euid
        self.gid = self.cgid = c.egid
        self.mode = mode
        self.ctime = int(time.time())

    @property
    def id(self) -> int:
        return self.seq << SEQ_SHIFT | self.index

    def perm(self) -> tuple[int, ...]:
        """struct ipc64_perm's fields (key, uid, gid, cuid, cgid, mode, seq)."""
        return self.key, self.uid, self.gid, self.cuid, self.cgid, self.mode, self.seq

    def check_owner(self, c: Credentials) -> None:
        """IPC_SET and IPC_RMID: the owner or creator, or CAP_SYS_ADMIN (EPERM)."""
        if c.euid not in (self.uid, self.cuid) and not capable(c, CAP_SYS_ADMIN):
            raise EPERM()

    def set_perm(self, uid: int, gid: int, mode: int) -> None:
        """IPC_SET's part every kind has: the owner and the permission bits (EINVAL for
        the invalid id -1, as Linux's ipc_update_perm)."""
        if uid == 0xFFFFFFFF or gid == 0xFFFFFFFF:
            raise EINVAL()
        self.uid, self.gid = uid, gid
        self.mode = self.mode & ~0o777 | mode & 0o777
        self.ctime = int(time.time())


def allowed(c: Credentials, obj: Any, want: int) -> bool:
    """Linux's ipcperms: the owner's, group's or others' bits of the object's mode, as
    the caller's effective ids select them; CAP_IPC_OWNER passes. `want`: 0o4 read, 0o2
    write, 0o1 execute (or their S_IRUGO-style spreads)."""
    want = (want >> 6 | want >> 3 | want) & 0o7
    granted = obj.mode
    if c.euid in (obj.cuid, obj.uid):
        granted >>= 6
    elif c.egid in (obj.cgid, obj.gid) or obj.cgid in c.groups or obj.gid in c.groups:
        granted >>= 3
    return not want & ~granted & 0o7 or capable(c, CAP_IPC_OWNER)


class IpcIds:
    """The objects of one kind in a namespace, by index."""

    def __init__(self) -> None:
        self.objects: dict[int, Any] = {}
        self.seq = 0
        self.last_index = -1

    def by_id(self, ident: int) -> Any:
        """The object `ident` names (EINVAL, as Linux's ipc_obtain_object_check)."""
        obj = self.objects.get(ident & ((1 << SEQ_SHIFT) - 1)) if ident >= 0 else None
        if obj is None or obj.seq != ident >> SEQ_SHIFT:
            raise EINVAL()
        return obj

    def get(self, c: Credentials, key: int, flags: int, create: Callable[[], Any],
            more_checks: Callable[[Any], None] | None = None) -> int:
        """ipcget: the id of the object for `key`, made with create() when asked (or for
        IPC_PRIVATE); `more_checks` are the kind's own on an existing object."""
        if key != IPC_PRIVATE:
            obj = next((o for o in self.objects.values() if o.key == key), None)
            if obj is not None:
                if flags & IPC_CREAT and flags & IPC_EXCL:
                    raise EEXIST()
                if more_checks is not None:
                    more_checks(obj)
                if not allowed(c, obj, flags & 0o777):
                    raise EACCES()
                return obj.id
            if not flags & IPC_CREAT:
                raise ENOENT()
        return create().id

    def next_index(self, mni: int) -> tuple[int, int]:
        """Linux's ipc_idr_alloc: the next free index after the last one handed out,
        cyclically below `mni` (ENOSPC when none is free), and the sequence number, which
        moves on when the indexes wrap, so that ids stay unique."""
        start = self.last_index + 1
        index = next((i for i in itertools.chain(range(start, mni), range(min(start, mni)))
                      if i not in self.objects), None)
        if index is None:
            raise ENOSPC()
        if index <= self.last_index:
            self.seq = 0 if self.seq >= SEQ_MAX else self.seq + 1
        self.last_index = index
        return index, self.seq

    def add(self, obj: Any) -> Any:
        self.objects[obj.index] = obj
        return obj

    def by_index(self, c: Credentials, index: int, check: bool) -> Any:
        """The object the *_STAT commands name by index (EINVAL if none); with `check`
        (SHM_STAT, SEM_STAT, MSG_STAT, not the _ANY ones) it must be readable (EACCES)."""
        obj = self.objects.get(index)
        if obj is None:
            raise EINVAL()
        if check and not allowed(c, obj, 0o444):
            raise EACCES()
        return obj

    def max_index(self) -> int:
        """What IPC_INFO and the *_INFO commands return (0 when empty, as Linux)."""
        return max(self.objects, default=0)

"""SysV semaphore sets of the sandbox's IPC namespace (Linux's ipc/sem.c).

Sets live in the Sentry: values, last pids, times, permissions (ipc_shm.allowed), ids
built as shared memory's are. semop applies all of its operations or none; a caller that
must wait parks on the set's WaitQueue and tries again at each change. SEM_UNDO
adjustments are kept in the undo list a process has (shared by CLONE_SYSVSEM threads:
Task.semundo) and applied when its last user exits or leaves it (unshare). Limits are the
namespace's sysctl kernel.sem: SEMMSL, SEMMNS, SEMOPM, SEMMNI.
"""

from __future__ import annotations

import struct
import time
from typing import Any

from sentry.abi.errno import EINVAL, ENOSPC, ERANGE
from sentry.kernel.creds import Credentials
from sentry.kernel.ipc import IpcIds, IpcObject
from sentry.kernel.waiter import POLLIN, WaitQueue

SEMVMX = 32767
SEMAEM = SEMVMX
SEM_UNDO = 0x1000
# struct semid64_ds: ipc64_perm, otime, (unused), ctime, (unused), nsems, (2 unused).
SEMID_DS = struct.Struct("<iIIIIIH2x4xQQqQqQQQQ")


class SemUndo:
    """A process's SEM_UNDO adjustments: set (by identity) → one value per semaphore."""

    __slots__ = ("adj",)

    def __init__(self) -> None:
        self.adj: dict[SemSet, list[int]] = {}


class SemSet(IpcObject):
    __slots__ = ("vals", "pids", "otime", "queue", "waiting", "alive")

    def __init__(self, key: int, index: int, seq: int, c: Credentials, mode: int,
                 nsems: int) -> None:
        super().__init__(key, index, seq, c, mode)
        self.vals = [0] * nsems
        self.pids = [0] * nsems
        self.otime = 0
        self.queue = WaitQueue()  # notified at every change of a value
        self.waiting: dict[Any, tuple[int, bool]] = {}  # task → (semnum, waits for zero)
        self.alive = True

    def stat(self) -> bytes:
        return SEMID_DS.pack(*self.perm(), 0, 0, self.otime, 0, self.ctime, 0, len(self.vals),
                             0, 0)

    def count(self, semnum: int, zero: bool) -> int:
        """GETNCNT / GETZCNT: the tasks a semop of theirs keeps waiting on semnum."""
        return sum(1 for w in self.waiting.values() if w == (semnum, zero))

    def changed(self) -> None:
        self.queue.notify(POLLIN)


class SemNamespace:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel  # its sysctl kernel.sem (the limits) may be replaced at start
        self.ids = IpcIds()
        self.sets = self.ids.objects  # by index
        self.used = 0  # semaphores in all sets (SEMMNS)

    def limits(self) -> tuple[int, int, int, int]:
        """SEMMSL, SEMMNS, SEMOPM, SEMMNI (kernel.sem)."""
        msl, mns, opm, mni = (int(x) for x in self.kernel.sysctl.get("kernel.sem").split())
        return msl, mns, opm, mni

    def by_id(self, semid: int) -> SemSet:
        return self.ids.by_id(semid)

    def get(self, c: Credentials, key: int, nsems: int, flags: int) -> int:
        """semget (ipcget and newary's checks, in Linux's order)."""
        msl, mns, _, mni = self.limits()
        if nsems < 0 or nsems > msl:
            raise EINVAL()

        def more_checks(s: SemSet) -> None:
            if nsems > len(s.vals):
                raise EINVAL()

        def create() -> SemSet:
            if not nsems:
                raise EINVAL()
            if self.used + nsems > mns:
                raise ENOSPC()
            index, seq = self.ids.next_index(mni)
            self.used += nsems
            return self.ids.add(SemSet(key, index, seq, c, flags & 0o777, nsems))

        return self.ids.get(c, key, flags, create, more_checks)

    def remove(self, s: SemSet) -> None:
        """IPC_RMID: gone at once; its waiters wake to EIDRM."""
        s.alive = False
        del self.sets[s.index]
        self.used -= len(s.vals)
        s.changed()


def try_ops(s: SemSet, sops: list[tuple[int, int, int]], undo: SemUndo | None,
            pid: int) -> int | None:
    """perform_atomic_semop: applies every operation, or none; None when done, else the
    index of the operation that must wait. ERANGE past SEMVMX or SEMAEM."""
    vals = list(s.vals)
    adj = list(undo.adj.get(s, [0] * len(vals))) if undo is not None else None
    for i, (num, op, flg) in enumerate(sops):
        cur = vals[num]
        if op == 0 and cur or cur + op < 0:
            return i
        if cur + op > SEMVMX:
            raise ERANGE()
        if flg & SEM_UNDO and adj is not None:
            a = adj[num] - op
            if a < -SEMAEM - 1 or a > SEMAEM:
                raise ERANGE()
            adj[num] = a
        vals[num] = cur + op
    changed = vals != s.vals
    s.vals = vals
    for num, _, _ in sops:
        s.pids[num] = pid
    s.otime = int(time.time())
    if undo is not None and adj is not None and any(flg & SEM_UNDO for _, _, flg in sops):
        undo.adj[s] = adj
    if changed:
        s.changed()
    return None


def apply_undo(undo: SemUndo, pid: int) -> None:
    """exit_sem: each live set gets its adjustments back, values kept in [0, SEMVMX]."""
    for s, adj in undo.adj.items():
        if not s.alive:
            continue
        for num, a in enumerate(adj):
            if a:
                s.vals[num] = min(max(s.vals[num] + a, 0), SEMVMX)
                s.pids[num] = pid
        s.otime = int(time.time())
        s.changed()
    undo.adj.clear()


def clear_undo(kernel: Any, s: SemSet, semnum: int | None) -> None:
    """SETVAL/SETALL: every process's adjustments for those semaphores are forgotten."""
    for t in kernel.tasks.values():
        u = t.semundo
        if isinstance(u, SemUndo) and s in u.adj:
            if semnum is None:
                del u.adj[s]
            else:
                u.adj[s][semnum] = 0

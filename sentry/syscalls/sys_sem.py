"""SysV semaphores: semget, semop, semtimedop, semctl (the sets: sentry/kernel/ipc_sem.py).

A semop that must wait parks on its set until a value changes, the timeout passes (EAGAIN),
the set is removed (EIDRM) or a signal handler runs (EINTR, never restarted: signal(7)).
"""

from __future__ import annotations

import struct
import time

from sentry.abi.errno import E2BIG, EACCES, EAGAIN, EFBIG, EIDRM, EINVAL, ERANGE
from sentry.kernel.args import Args
from sentry.kernel.ipc_sem import (SEM_UNDO, SEMAEM, SEMID_DS, SEMVMX, SemNamespace, SemSet,
                                   SemUndo, clear_undo, try_ops)
from sentry.kernel.ipc import allowed
from sentry.kernel.task import Task
from sentry.kernel.wait import WaitSet
from sentry.kernel.waiter import POLLIN

IPC_NOWAIT = 0o4000
IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO = 0, 1, 2, 3
GETPID, GETVAL, GETALL, GETNCNT, GETZCNT, SETVAL, SETALL = 11, 12, 13, 14, 15, 16, 17
SEM_STAT, SEM_INFO, SEM_STAT_ANY = 18, 19, 20
SEMUSZ = 20
_SEMBUF = struct.Struct("<HhH")  # struct sembuf: sem_num, sem_op, sem_flg
_TS = struct.Struct("<qq")
_SEMINFO = struct.Struct("<10i")


def _ns(t: Task) -> SemNamespace:
    return t.kernel.sem


def sys_semget(t: Task, a: Args) -> int:
    """Implements semget(2)."""
    return _ns(t).get(t.creds, a.int(0), a.int(1), a.int(2))


async def sys_semop(t: Task, a: Args) -> int:
    """Implements semop(2)."""
    return await _semop(t, a.int(0), a.ptr(1), a.ulong(2), 0)


async def sys_semtimedop(t: Task, a: Args) -> int:
    """Implements semtimedop(2)."""
    return await _semop(t, a.int(0), a.ptr(1), a.ulong(2), a.ptr(3))


async def _semop(t: Task, semid: int, addr: int, nsops: int, timeout: int) -> int:
    """do_semtimedop: its checks in Linux's order, then all operations or a wait."""
    ns = _ns(t)
    if nsops < 1 or semid < 0:
        raise EINVAL()
    if nsops > ns.limits()[2]:
        raise E2BIG()
    raw = t.mem.read(addr, _SEMBUF.size * nsops)
    sops = [_SEMBUF.unpack_from(raw, i * _SEMBUF.size) for i in range(nsops)]
    deadline = None
    if timeout:
        sec, nsec = _TS.unpack(t.mem.read(timeout, _TS.size))
        if sec < 0 or not 0 <= nsec < 1_000_000_000:
            raise EINVAL()
        deadline = time.monotonic() + sec + nsec / 1e9
    s = ns.by_id(semid)
    if max(num for num, _, _ in sops) >= len(s.vals):
        raise EFBIG()
    alter = any(op for _, op, _ in sops)
    if not allowed(t.creds, s, 0o222 if alter else 0o444):
        raise EACCES()
    undo = None
    if any(flg & SEM_UNDO for _, _, flg in sops):
        if t.semundo is None:
            t.semundo = SemUndo()
        undo = t.semundo
    while True:
        if not s.alive:
            raise EIDRM()
        i = try_ops(s, sops, undo, t.tg.vpid)
        if i is None:
            return 0
        num, op, flg = sops[i]
        if flg & IPC_NOWAIT or (deadline is not None
                                and time.monotonic() >= deadline):
            raise EAGAIN()
        s.waiting[t] = (num, op == 0)
        try:
            await t.wait_on(WaitSet([(s.queue, POLLIN)], deadline, no_restart=True), 0)
        finally:
            s.waiting.pop(t, None)


def sys_semctl(t: Task, a: Args) -> int:
    """Implements semctl(2); its fourth argument, union semun, is a register."""
    semid, semnum, cmd, arg = a.int(0), a.int(1), a.int(2), a.ulong(3)
    ns = _ns(t)
    if semid < 0:
        raise EINVAL()
    if cmd in (IPC_INFO, SEM_INFO):
        msl, mns, opm, mni = ns.limits()
        info = (mns, mni, mns, mns, msl, opm, opm,
                len(ns.sets) if cmd == SEM_INFO else SEMUSZ, SEMVMX,
                ns.used if cmd == SEM_INFO else SEMAEM)
        t.mem.write(arg, _SEMINFO.pack(*info))
        return ns.ids.max_index()
    if cmd in (SEM_STAT, SEM_STAT_ANY):  # semid is an index here
        s = ns.ids.by_index(t.creds, semid, cmd == SEM_STAT)
        t.mem.write(arg, s.stat())
        return s.id
    if cmd == SETVAL:
        val = arg & 0xFFFFFFFF
        val = val - (1 << 32) if val & 0x80000000 else val
        if not 0 <= val <= SEMVMX:
            raise ERANGE()
    if cmd == IPC_SET:
        new = SEMID_DS.unpack(t.mem.read(arg, SEMID_DS.size))  # before the lookup, as Linux
    s = ns.by_id(semid)
    if cmd in (IPC_RMID, IPC_SET):
        s.check_owner(t.creds)
        if cmd == IPC_RMID:
            ns.remove(s)
        else:
            s.set_perm(new[1], new[2], new[5])
        return 0
    if cmd not in (IPC_STAT, GETPID, GETVAL, GETALL, GETNCNT, GETZCNT, SETVAL, SETALL):
        raise EINVAL()
    if not allowed(t.creds, s, 0o222 if cmd in (SETVAL, SETALL) else 0o444):
        raise EACCES()
    return _values(t, s, semnum, cmd, arg, val if cmd == SETVAL else 0)


def _values(t: Task, s: SemSet, semnum: int, cmd: int, arg: int, val: int) -> int:
    """The commands on values, after the permission check."""
    if cmd == IPC_STAT:
        t.mem.write(arg, s.stat())
        return 0
    if cmd == GETALL:
        t.mem.write(arg, struct.pack(f"<{len(s.vals)}H", *s.vals))
        return 0
    if cmd == SETALL:
        vals = list(struct.unpack(f"<{len(s.vals)}H", t.mem.read(arg, 2 * len(s.vals))))
        if any(v > SEMVMX for v in vals):
            raise ERANGE()
        s.vals = vals
        s.pids = [t.tg.vpid] * len(vals)
        clear_undo(t.kernel, s, None)
        return _changed(s)
    if not 0 <= semnum < len(s.vals):
        raise EINVAL()
    if cmd == GETVAL:
        return s.vals[semnum]
    if cmd == GETPID:
        return s.pids[semnum]
    if cmd in (GETNCNT, GETZCNT):
        return s.count(semnum, cmd == GETZCNT)
    s.vals[semnum] = val  # SETVAL
    s.pids[semnum] = t.tg.vpid
    clear_undo(t.kernel, s, semnum)
    return _changed(s)


def _changed(s: SemSet) -> int:
    s.ctime = int(time.time())
    s.changed()
    return 0


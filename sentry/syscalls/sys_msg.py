"""SysV message queues: msgget, msgsnd, msgrcv, msgctl (the queues:
sentry/kernel/ipc_msg.py).

A blocked msgsnd or msgrcv parks on its queue until it changes, the queue is removed
(EIDRM) or a signal handler runs (EINTR, never restarted: signal(7)).
"""

from __future__ import annotations

import struct
import time

from sentry.abi.errno import E2BIG, EACCES, EAGAIN, EIDRM, EINVAL, ENOMSG, EPERM
from sentry.kernel.args import Args
from sentry.kernel.creds import CAP_SYS_RESOURCE, capable
from sentry.kernel.ipc_msg import (MSG_COPY, MSG_EXCEPT, MSG_NOERROR, MSQID_DS, MsgNamespace,
                                   Queue)
from sentry.kernel.ipc import allowed
from sentry.kernel.task import Task
from sentry.kernel.wait import WaitSet
from sentry.kernel.waiter import POLLIN

IPC_NOWAIT = 0o4000
IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO = 0, 1, 2, 3
MSG_STAT, MSG_INFO, MSG_STAT_ANY = 11, 12, 13
MSGPOOL, MSGMAP, MSGTQL, MSGSSZ, MSGSEG = 32000 * 16384 // 1024, 16384, 16384, 16, 0xFFFF
_MSGINFO = struct.Struct("<iiiiiiiH2x")  # struct msginfo
_LONG = struct.Struct("<q")


def _ns(t: Task) -> MsgNamespace:
    return t.kernel.msg


async def _park(t: Task, q: Queue) -> None:
    await t.wait_on(WaitSet([(q.queue, POLLIN)], None, no_restart=True), 0)
    if not q.alive:
        raise EIDRM()


def sys_msgget(t: Task, a: Args) -> int:
    """Implements msgget(2)."""
    return _ns(t).get(t.creds, a.int(0), a.int(1))


async def sys_msgsnd(t: Task, a: Args) -> int:
    """Implements msgsnd(2): waits while the queue is full, unless IPC_NOWAIT (EAGAIN)."""
    msqid, addr, size, flags = a.int(0), a.ptr(1), a.long(2), a.int(3)
    ns = _ns(t)
    mtype = _LONG.unpack(t.mem.read(addr, 8))[0]  # EFAULT first, as ksys_msgsnd
    if size > ns.limit("kernel.msgmax") or size < 0 or msqid < 0 or mtype < 1:
        raise EINVAL()
    text = t.mem.read(addr + 8, size)
    q = ns.by_id(msqid)
    if not allowed(t.creds, q, 0o222):
        raise EACCES()
    while not q.has_room(size):
        if flags & IPC_NOWAIT:
            raise EAGAIN()
        await _park(t, q)
    q.messages.append((mtype, text))
    q.cbytes += size
    q.lspid, q.stime = t.tg.vpid, int(time.time())
    q.changed()
    return 0


async def sys_msgrcv(t: Task, a: Args) -> int:
    """Implements msgrcv(2): msgtyp 0 (first), > 0 (of that type, or not with
    MSG_EXCEPT), < 0 (lowest type up to |msgtyp|); MSG_NOERROR truncates, else E2BIG;
    MSG_COPY copies the message at an index (with IPC_NOWAIT) and leaves it."""
    msqid, addr, size, mtype, flags = a.int(0), a.ptr(1), a.long(2), a.long(3), a.int(4)
    if msqid < 0 or size < 0:
        raise EINVAL()
    if flags & MSG_COPY and (flags & MSG_EXCEPT or not flags & IPC_NOWAIT):
        raise EINVAL()
    q = _ns(t).by_id(msqid)
    if not allowed(t.creds, q, 0o444):
        raise EACCES()
    while True:
        i = q.find(mtype, flags)
        if i is not None:
            break
        if flags & IPC_NOWAIT:
            raise ENOMSG()
        await _park(t, q)
    got_type, full = q.messages[i]
    if len(full) > size and not flags & MSG_NOERROR:
        raise E2BIG()
    text = full[:size]
    t.mem.write(addr, _LONG.pack(got_type) + text)
    if not flags & MSG_COPY:
        del q.messages[i]
        q.cbytes -= len(full)
        q.lrpid, q.rtime = t.tg.vpid, int(time.time())
        q.changed()
    return len(text)


def sys_msgctl(t: Task, a: Args) -> int:
    """Implements msgctl(2)."""
    msqid, cmd, buf = a.int(0), a.int(1), a.ptr(2)
    ns = _ns(t)
    if cmd < 0 or msqid < 0:
        raise EINVAL()
    if cmd in (IPC_INFO, MSG_INFO):
        mni, mnb, mmax = (ns.limit(n) for n in ("kernel.msgmni", "kernel.msgmnb",
                                                  "kernel.msgmax"))
        if cmd == MSG_INFO:  # in use: queues, messages, bytes
            pool, mmap_, tql = (len(ns.queues), sum(len(q.messages) for q in ns.queues.values()),
                                sum(q.cbytes for q in ns.queues.values()))
        else:
            pool, mmap_, tql = MSGPOOL, MSGMAP, MSGTQL
        t.mem.write(buf, _MSGINFO.pack(pool, mmap_, mmax, mnb, mni, MSGSSZ, tql, MSGSEG))
        return ns.ids.max_index()
    if cmd in (MSG_STAT, MSG_STAT_ANY):  # msqid is an index here
        q = ns.ids.by_index(t.creds, msqid, cmd == MSG_STAT)
        t.mem.write(buf, q.stat())
        return q.id
    if cmd == IPC_SET:
        new = MSQID_DS.unpack(t.mem.read(buf, MSQID_DS.size))  # before the lookup, as Linux
    q = ns.by_id(msqid)
    if cmd == IPC_STAT:
        if not allowed(t.creds, q, 0o444):
            raise EACCES()
        t.mem.write(buf, q.stat())
        return 0
    if cmd not in (IPC_SET, IPC_RMID):
        raise EINVAL()
    q.check_owner(t.creds)
    if cmd == IPC_RMID:
        ns.remove(q)
        return 0
    qbytes = new[14]
    if qbytes > ns.limit("kernel.msgmnb") and not capable(t.creds, CAP_SYS_RESOURCE):
        raise EPERM()
    q.qbytes = qbytes
    q.set_perm(new[1], new[2], new[5])
    q.changed()  # more room, perhaps
    return 0

"""SysV message queues of the sandbox's IPC namespace (Linux's ipc/msg.c).

Queues live in the Sentry: messages (type, bytes) in arrival order, the byte limit
msg_qbytes, counts, pids and times, permissions (ipc_shm.allowed), ids built as shared
memory's are. A sender that finds its queue full, or a receiver that finds no message it
wants, parks on the queue's WaitQueue (sentry/syscalls/sys_msg.py). Limits are the
namespace's sysctls kernel.msgmax, msgmnb and msgmni.
"""

from __future__ import annotations

import struct
from typing import Any

from sentry.kernel.creds import Credentials
from sentry.kernel.ipc import IpcIds, IpcObject
from sentry.kernel.waiter import POLLIN, WaitQueue

MSG_NOERROR, MSG_EXCEPT, MSG_COPY = 0o10000, 0o20000, 0o40000
# struct msqid64_ds: ipc64_perm, stime, rtime, ctime, cbytes, qnum, qbytes, lspid, lrpid.
MSQID_DS = struct.Struct("<iIIIIIH2x4xQQqqqQQQiiQQ")


class Queue(IpcObject):
    __slots__ = ("messages", "qbytes", "cbytes", "stime", "rtime", "lspid", "lrpid", "queue",
                 "alive")

    def __init__(self, key: int, index: int, seq: int, c: Credentials, mode: int,
                 qbytes: int) -> None:
        super().__init__(key, index, seq, c, mode)
        self.messages: list[tuple[int, bytes]] = []
        self.qbytes, self.cbytes = qbytes, 0
        self.stime = self.rtime = 0
        self.lspid = self.lrpid = 0
        self.queue = WaitQueue()  # notified at every send and receive
        self.alive = True

    def stat(self) -> bytes:
        return MSQID_DS.pack(*self.perm(), 0, 0, self.stime, self.rtime, self.ctime,
                             self.cbytes, len(self.messages), self.qbytes, self.lspid,
                             self.lrpid, 0, 0)

    def has_room(self, size: int) -> bool:
        """Linux's msg_fits_inqueue: the bytes and the count of messages both within
        msg_qbytes."""
        return (self.cbytes + size <= self.qbytes
                and len(self.messages) + 1 <= self.qbytes)

    def find(self, mtype: int, flags: int) -> int | None:
        """The index of the message msgrcv takes for `mtype` (find_msg), or None."""
        if flags & MSG_COPY:
            return mtype if 0 <= mtype < len(self.messages) else None
        best = None
        for i, (t, _) in enumerate(self.messages):
            if mtype == 0:
                return i
            if mtype > 0:
                if (t != mtype) if flags & MSG_EXCEPT else (t == mtype):
                    return i
            elif t <= -mtype and (best is None or t < self.messages[best][0]):
                best = i
        return best

    def changed(self) -> None:
        self.queue.notify(POLLIN)


class MsgNamespace:
    def __init__(self, kernel: Any) -> None:
        self.kernel = kernel  # its sysctls (the limits) may be replaced at start
        self.ids = IpcIds()
        self.queues = self.ids.objects  # by index

    def limit(self, name: str) -> int:
        return self.kernel.sysctl.int(name)

    def by_id(self, msqid: int) -> Queue:
        return self.ids.by_id(msqid)

    def get(self, c: Credentials, key: int, flags: int) -> int:
        """msgget (ipcget)."""
        def create() -> Queue:
            index, seq = self.ids.next_index(self.limit("kernel.msgmni"))
            q = Queue(key, index, seq, c, flags & 0o777, self.limit("kernel.msgmnb"))
            return self.ids.add(q)

        return self.ids.get(c, key, flags, create)

    def remove(self, q: Queue) -> None:
        """IPC_RMID: gone at once, its messages too; its waiters wake to EIDRM."""
        q.alive = False
        del self.queues[q.index]
        q.changed()

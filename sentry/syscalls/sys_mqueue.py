"""POSIX message queues: mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify,
mq_getsetattr (the queues: sentry/vfs/fsimpl/mqueue.py, one set per sandbox).

A send to a full queue or a receive from an empty one waits (unless O_NONBLOCK: EAGAIN)
until there is room or a message, the absolute CLOCK_REALTIME timeout (ETIMEDOUT), or a
signal (EINTR, or a restart with SA_RESTART, as Linux).

mq_notify's SIGEV_THREAD is Linux's netlink protocol, which glibc's helper thread reads:
the sigevent names a netlink socket (sigev_signo) and a 32-byte cookie (sigev_value); the
notification puts the cookie, its last byte NOTIFY_WOKENUP, on that socket, and the end of
a registration (mq_notify(NULL), or any close of a queue fd by the registered process)
puts it there with NOTIFY_REMOVED.
"""

from __future__ import annotations

import struct
import time

from sentry.abi.errno import (EACCES, EAGAIN, EBADF, EBUSY, EEXIST, EINVAL, EMSGSIZE, ENOTSOCK,
                              ENOENT, ENOSPC, EOVERFLOW, ETIMEDOUT)
from sentry.kernel import siginfo
from sentry.kernel.args import Args
from sentry.kernel.creds import CAP_SYS_RESOURCE, capable
from sentry.kernel.task import Task
from sentry.kernel.wait import WaitSet
from sentry.kernel.waiter import POLLIN, POLLOUT
from sentry.vfs.constants import O_ACCMODE, O_CLOEXEC, O_CREAT, O_EXCL, O_NONBLOCK
from sentry.netstack.netlink import NetlinkSocket
from sentry.netstack.socket import Socket
from sentry.vfs.fsimpl.mqueue import (
    NOTIFY_WOKENUP, MqFile, MqInode, MqueueFS, of_kernel, open_queue_vd,
)
from sentry.vfs.perm import MAY_EXEC, MAY_READ, MAY_WRITE, check_access, check_sticky

MQ_ATTR = struct.Struct("<4q32x")  # struct mq_attr: flags, maxmsg, msgsize, curmsgs
MQ_PRIO_MAX = 32768
HARD_MSGMAX, HARD_MSGSIZEMAX = 65536, 16 << 20
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD = 0, 1, 2
SI_MESGQ = -3
_TS = struct.Struct("<qq")
_SIGEVENT = struct.Struct("<qii")  # sigev_value, sigev_signo, sigev_notify
NOTIFY_COOKIE_LEN = 32


def _fs(t: Task) -> MqueueFS:
    return of_kernel(t.kernel)


def _name(t: Task, addr: int) -> bytes:
    """The queue's name (glibc drops the leading '/'): EACCES for a '/', '.', '..' or
    an empty name, as the lookup in the mqueue root says."""
    name = t.mem.read_path(addr)
    if not name or b"/" in name or name in (b".", b".."):
        raise EACCES()
    return name


def _attr(t: Task, fs: MqueueFS, addr: int) -> tuple[int, int] | None:
    if not addr:
        return None
    _, maxmsg, msgsize, _ = MQ_ATTR.unpack(t.mem.read(addr, MQ_ATTR.size))
    return maxmsg, msgsize


def _check_attr(t: Task, fs: MqueueFS, attr: tuple[int, int]) -> None:
    """mq_attr_ok."""
    maxmsg, msgsize = attr
    if maxmsg <= 0 or msgsize <= 0:
        raise EINVAL()
    if capable(t.creds, CAP_SYS_RESOURCE):
        hi_msg, hi_size = HARD_MSGMAX, HARD_MSGSIZEMAX
    else:
        sc = t.kernel.sysctl
        hi_msg, hi_size = sc.int("fs.mqueue.msg_max"), sc.int("fs.mqueue.msgsize_max")
    if maxmsg > hi_msg or msgsize > hi_size:
        raise EINVAL()
    if msgsize > ((1 << 64) - 1) // maxmsg:
        raise EOVERFLOW()


def sys_mq_open(t: Task, a: Args) -> int:
    """Implements mq_open(2)."""
    flags, mode = a.int(1), a.uint(2)
    fs = _fs(t)
    attr = _attr(t, fs, a.ptr(3))
    name = _name(t, a.ptr(0))
    t.fds.free_fd()
    q = fs.root.queues.get(name)
    if q is None:
        if not flags & O_CREAT:
            raise ENOENT()
        if attr is not None:
            _check_attr(t, fs, attr)
        if len(fs.root.queues) >= t.kernel.sysctl.int("fs.mqueue.queues_max") \
                and not capable(t.creds, CAP_SYS_RESOURCE):
            raise ENOSPC()
        q = fs.root.new_queue(t, name, mode & ~t.fs.umask, attr)
    else:
        if flags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL:
            raise EEXIST()
        if flags & O_ACCMODE == O_ACCMODE:
            raise EINVAL()
        acc = flags & O_ACCMODE
        check_access(t.creds, q.access_stat(), (MAY_READ if acc != 1 else 0)
                     | (MAY_WRITE if acc != 0 else 0))
    f = q.open(t, open_queue_vd(fs, name, q), flags & (O_ACCMODE | O_NONBLOCK))
    return t.fds.install(f, cloexec=bool(flags & O_CLOEXEC))


def sys_mq_unlink(t: Task, a: Args) -> int:
    """Implements mq_unlink(2): the sticky root lets only the queue's owner (or
    CAP_FOWNER) remove it (EPERM)."""
    fs = _fs(t)
    name = _name(t, a.ptr(0))
    q = fs.root.queues.get(name)
    if q is None:
        raise ENOENT()
    check_access(t.creds, fs.root.stat(), MAY_WRITE | MAY_EXEC)
    check_sticky(t.creds, fs.root.stat(), q.stat())
    fs.root.unlink(t, name)
    return 0


def _queue(t: Task, fd: int) -> MqFile:
    f = t.fds.get(fd)
    if not isinstance(f, MqFile):
        raise EBADF()
    return f


def _deadline(t: Task, addr: int) -> float | None:
    """The absolute CLOCK_REALTIME timeout as a monotonic deadline (EINVAL if invalid)."""
    if not addr:
        return None
    sec, nsec = _TS.unpack(t.mem.read(addr, _TS.size))
    if sec < 0 or not 0 <= nsec < 1_000_000_000:
        raise EINVAL()
    return time.monotonic() + (sec + nsec / 1e9 - time.time())


async def _wait(t: Task, q: MqInode, events: int, deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        raise ETIMEDOUT()
    await t.wait_on(WaitSet([(q.queue, events)], deadline), 0)


async def sys_mq_timedsend(t: Task, a: Args) -> int:
    """Implements mq_timedsend(2)."""
    fd, addr, size, prio = a.int(0), a.ptr(1), a.size(2), a.uint(3)
    deadline = _deadline(t, a.ptr(4))
    if prio >= MQ_PRIO_MAX:
        raise EINVAL()
    f = _queue(t, fd)
    if f.flags & O_ACCMODE == 0:  # O_RDONLY
        raise EBADF()
    q = f.q
    if size > q.msgsize:
        raise EMSGSIZE()
    data = t.mem.read(addr, size)
    while len(q.messages) >= q.maxmsg:
        if f.flags & O_NONBLOCK:
            raise EAGAIN()
        await _wait(t, q, POLLOUT, deadline)
    was_empty = not q.messages
    q.seq += 1
    q.messages.append((-prio, q.seq, data))
    q.messages.sort()
    q.times = time.time_ns()
    q.queue.notify(POLLIN)
    if was_empty and q.notify is not None and not q.receivers:
        _notify(t, q)
    return 0


def _notify(t: Task, q: MqInode) -> None:
    """The registered process learns of a message in the empty queue, once."""
    tg, signo, value, kind, thread = q.notify
    q.notify = None
    if thread is not None:
        sock, cookie = thread
        sock.kernel_message(cookie[:-1] + bytes([NOTIFY_WOKENUP]))
        return
    if kind != SIGEV_SIGNAL or not signo or not tg.tasks:
        return
    sender = (SI_MESGQ, t.tg.vpid, t.creds.uid)
    info = struct.pack("<iiiiiIq", signo, 0, SI_MESGQ, 0, t.tg.vpid, t.creds.uid, value)
    if siginfo.send(t.kernel, tg.host_pid, 0, signo, sender, info.ljust(128, b"\0")) == 0:
        t.kernel.signals_sent(tg)


async def sys_mq_timedreceive(t: Task, a: Args) -> int:
    """Implements mq_timedreceive(2): the oldest message of the highest priority."""
    fd, addr, size, prio_addr = a.int(0), a.ptr(1), a.size(2), a.ptr(3)
    deadline = _deadline(t, a.ptr(4))
    f = _queue(t, fd)
    if f.flags & O_ACCMODE == 1:  # O_WRONLY
        raise EBADF()
    q = f.q
    if size < q.msgsize:
        raise EMSGSIZE()
    while not q.messages:
        if f.flags & O_NONBLOCK:
            raise EAGAIN()
        q.receivers += 1
        try:
            await _wait(t, q, POLLIN, deadline)
        finally:
            q.receivers -= 1
    neg_prio, _, data = q.messages.pop(0)
    q.times = time.time_ns()
    q.queue.notify(POLLOUT)
    if prio_addr:
        t.mem.write(prio_addr, struct.pack("<I", -neg_prio))
    t.mem.write(addr, data)  # EFAULT after the message is taken, as Linux
    return len(data)


def sys_mq_notify(t: Task, a: Args) -> int:
    """Implements mq_notify(2): one process at a time (EBUSY); NULL unregisters the
    caller's registration."""
    addr = a.ptr(1)
    n = None
    if addr:
        value, signo, kind = _SIGEVENT.unpack(t.mem.read(addr, _SIGEVENT.size))
        if kind not in (SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD) or (
                kind == SIGEV_SIGNAL and not 0 <= signo <= 64):
            raise EINVAL()
        thread = None
        if kind == SIGEV_THREAD:
            cookie = t.mem.read(value, NOTIFY_COOKIE_LEN)
            sock = t.fds.get(signo)
            if not isinstance(sock, Socket):
                raise ENOTSOCK()
            if not isinstance(sock, NetlinkSocket):
                raise EINVAL()
            thread = (sock, cookie)
        n = (t.tg, signo if kind == SIGEV_SIGNAL else 0, value, kind, thread)
    q = _queue(t, a.int(0)).q
    if n is None:
        if q.notify is not None and q.notify[0] is t.tg:
            q.remove_notification()
        return 0
    if q.notify is not None and q.notify[0].tasks:
        raise EBUSY()
    q.notify = n
    return 0


def sys_mq_getsetattr(t: Task, a: Args) -> int:
    """Implements mq_getsetattr(2): only O_NONBLOCK can change."""
    new_addr, old_addr = a.ptr(1), a.ptr(2)
    new = MQ_ATTR.unpack(t.mem.read(new_addr, MQ_ATTR.size)) if new_addr else None
    if new is not None and new[0] & ~O_NONBLOCK:
        raise EINVAL()
    f = _queue(t, a.int(0))
    q = f.q
    if old_addr:
        t.mem.write(old_addr, MQ_ATTR.pack(f.flags & O_NONBLOCK, q.maxmsg, q.msgsize,
                                           len(q.messages)))
    if new is not None:
        f.flags = f.flags & ~O_NONBLOCK | new[0] & O_NONBLOCK
    return 0


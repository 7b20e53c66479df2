"""sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg.

A stream send moves all its bytes unless non-blocking (MSG_DONTWAIT or O_NONBLOCK), a
signal, the send timeout or an error ends it early with the count (bytes moved beat
errors). EPIPE comes with SIGPIPE unless MSG_NOSIGNAL. A receive takes what is there;
MSG_WAITALL on a stream waits for the whole count (or EOF, an error, the timeout).
"""

from __future__ import annotations

import struct
from typing import Any

from sentry.abi.errno import (
    EAGAIN, EFAULT, EINVAL, EMSGSIZE, ENOBUFS, EOPNOTSUPP, EPIPE, SysError,
)
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.kernel.wait import WaitSet
from sentry.kernel.waiter import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP
from sentry.netstack import cmsg
from sentry.netstack.socket import (
    AF_INET, AF_INET6, AF_UNIX, MSG_CTRUNC, MSG_DONTWAIT, MSG_ERRQUEUE, MSG_NOSIGNAL,
    MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, MSG_WAITFORONE, SOCK_STREAM, Control,
    Received, Socket,
)
from sentry.syscalls.sys_read_write import (
    _CUT_SHORT, MAX_RW_COUNT, _copy_out, _resumed_count, _sigpipe,
)
from sentry.syscalls.sys_socket import (
    blocking, clock, finish_with, read_sockaddr, sock, write_sockaddr,
)

_MSGHDR = struct.Struct("<QI4xQQQQi4x")
MMSGHDR_SIZE = 64
UIO_MAXIOV = 1024
_TS = struct.Struct("<qq")


# --- sending -------------------------------------------------------------------------
def _send(t: Task, s: Socket, data: bytes, flags: int, addr: bytes | None,
          control: Control | None) -> Any:
    """Sends; returns the count now, or a coroutine that finishes a blocking send."""
    nonblock = s.nonblocking or bool(flags & MSG_DONTWAIT)
    if flags & MSG_OOB and s.family == AF_UNIX:
        raise EOPNOTSUPP()
    resumed = _resumed_count(t, s, data) if s.stype == SOCK_STREAM else 0
    if resumed:
        if control is not None:
            control.drop()  # went with the bytes the cut-short call moved
        control = None
    try:
        done = resumed + s.sendmsg(t, data[resumed:], flags, addr, control)
    except EAGAIN:
        if nonblock:
            if control is not None:
                control.drop()
            raise
        return _send_rest(t, s, data, resumed, flags, addr, control)
    except SysError as e:
        if control is not None:
            control.drop()
        if isinstance(e, EPIPE) and not flags & MSG_NOSIGNAL:
            _sigpipe(t)
        raise
    if done == len(data) or nonblock or s.stype != SOCK_STREAM:
        return done
    return _send_rest(t, s, data, done, flags, addr, None)


async def _send_rest(t: Task, s: Socket, data: bytes, done: int, flags: int,
                     addr: bytes | None, control: Control | None) -> int:
    deadline = clock() + s.sndtimeo if s.sndtimeo else None
    try:
        while True:
            if deadline is None:
                await t.wait_on(s.wait_source(), POLLOUT)
            else:
                if clock() >= deadline:
                    if done:
                        return done
                    raise EAGAIN()
                await t.wait_on(WaitSet([(s.wait_source(), POLLOUT)], deadline,
                                        no_restart=True), 0)
            try:
                done += s.sendmsg(t, data[done:], flags, addr, control)
                control = None
            except EAGAIN:
                continue
            except SysError as e:
                if done:
                    return done
                if isinstance(e, EPIPE) and not flags & MSG_NOSIGNAL:
                    _sigpipe(t)
                raise
            if done == len(data) or s.stype != SOCK_STREAM:
                return done
    except GeneratorExit:  # a signal cancelled the parked call: it will be restarted
        if done:
            _CUT_SHORT[t] = (s, data, done)
        raise
    finally:
        if control is not None:
            control.drop()


def sys_sendto(t: Task, a: Args) -> Any:
    """Implements sendto(2)."""
    s = sock(t, a.int(0))
    buf, length, flags = a.ptr(1), min(a.size(2), MAX_RW_COUNT), a.int(3)
    addr = read_sockaddr(t, a.ptr(4), a.int(5)) if a.ptr(4) else None
    data = t.mem.read(buf, length)
    return _send(t, s, data, flags, addr, None)


def _read_msghdr(t: Task, p: int) -> tuple[Any, ...]:
    return _MSGHDR.unpack(t.mem.read(p, _MSGHDR.size))


def _gather(t: Task, iov: int, iovlen: int) -> list[tuple[int, int]]:
    if iovlen > UIO_MAXIOV:
        raise EMSGSIZE()
    out, room = [], MAX_RW_COUNT
    for base, n in t.mem.read_iovecs(iov, iovlen):
        if n >= 1 << 63:
            raise EINVAL()
        n = min(n, room)
        room -= n
        out.append((base, n))
    return out


def _prepare_send(t: Task, s: Socket, p: int) -> tuple[bytes, bytes | None, Control | None]:
    name, namelen, iov, iovlen, control, controllen, _ = _read_msghdr(t, p)
    addr = read_sockaddr(t, name, namelen) if name and namelen else None
    data = b"".join(t.mem.read(base, n) for base, n in _gather(t, iov, iovlen))
    ctl = None
    if controllen:
        if controllen > 0x7FFFFFFF:
            raise ENOBUFS()
        ctl = cmsg.parse(t, t.mem.read(control, controllen), s.family == AF_UNIX)
    return data, addr, ctl


def sys_sendmsg(t: Task, a: Args) -> Any:
    """Implements sendmsg(2)."""
    s = sock(t, a.int(0))
    data, addr, ctl = _prepare_send(t, s, a.ptr(1))
    return _send(t, s, data, a.int(2), addr, ctl)


async def _sendmmsg(t: Task, s: Socket, vec: int, vlen: int, flags: int) -> int:
    sent = 0
    for i in range(vlen):
        p = vec + i * MMSGHDR_SIZE
        try:
            data, addr, ctl = _prepare_send(t, s, p)
            r = _send(t, s, data, flags, addr, ctl)
            n = r if isinstance(r, int) else await r
            t.mem.write_u32(p + _MSGHDR.size, n)
        except SysError:
            if sent:
                return sent
            raise
        sent += 1
    return sent


def sys_sendmmsg(t: Task, a: Args) -> Any:
    """Implements sendmmsg(2)."""
    s = sock(t, a.int(0))
    return _sendmmsg(t, s, a.ptr(1), min(a.uint(2), UIO_MAXIOV), a.int(3))


# --- receiving -----------------------------------------------------------------------
def _recv(t: Task, s: Socket, n: int, flags: int, nonblock: bool | None = None) -> Any:
    """A Received now, or a coroutine that waits for one."""
    if flags & MSG_ERRQUEUE:
        raise EAGAIN()  # no error queue: nothing is ever queued there
    if flags & MSG_OOB and s.family == AF_UNIX:
        raise EOPNOTSUPP()
    if nonblock is None:
        nonblock = s.nonblocking or bool(flags & MSG_DONTWAIT)
    if flags & MSG_WAITALL and s.stype == SOCK_STREAM and not nonblock \
            and not flags & MSG_PEEK and n:
        return blocking(t, s, POLLIN, _WaitAll(t, s, n, flags), False, s.rcvtimeo)
    return blocking(t, s, POLLIN, lambda: s.recvmsg(t, n, flags), nonblock, s.rcvtimeo)


class _WaitAll:
    """MSG_WAITALL's op: EAGAIN until n bytes are there (or EOF, an error), then one recv.

    Nothing is taken before the call can complete, so a signal that cancels the wait
    (and restarts the call) loses no bytes. A stream that carries files may still come
    back short (a read stops at them), as Linux's does.
    """

    def __init__(self, t: Task, s: Socket, n: int, flags: int) -> None:
        self.t, self.s, self.n, self.flags = t, s, n, flags & ~MSG_WAITALL

    def __call__(self) -> Received:
        s = self.s
        peek = s.recvmsg(self.t, self.n, self.flags | MSG_PEEK)  # EAGAIN if empty
        if peek.control is not None and peek.control.rights:
            peek.control = None  # a peek's files stay queued
        if len(peek.data) < self.n and peek.data \
                and not s.poll_events() & (POLLRDHUP | POLLHUP | POLLERR):
            raise EAGAIN()
        return s.recvmsg(self.t, self.n, self.flags)


def _discards(s: Socket, flags: int) -> bool:
    """TCP's MSG_TRUNC: the bytes are consumed (or peeked) but not copied (tcp_recvmsg)."""
    return bool(flags & MSG_TRUNC) and s.stype == SOCK_STREAM and s.family in (AF_INET,
                                                                              AF_INET6)


def _ret(s: Socket, r: Received, flags: int) -> int:
    if flags & MSG_TRUNC and s.stype != SOCK_STREAM and r.full >= 0:
        return r.full
    return len(r.data)


def sys_recvfrom(t: Task, a: Args) -> Any:
    """Implements recvfrom(2)."""
    s = sock(t, a.int(0))
    buf, length, flags, addr, lenp = a.ptr(1), min(a.size(2), MAX_RW_COUNT), a.int(3), \
        a.ptr(4), a.ptr(5)
    if addr and t.mem.read_i32(lenp) < 0:
        raise EINVAL()

    def finish(r: Received) -> int:
        if r.control is not None and not flags & MSG_PEEK:
            r.control.drop()
        if r.data and not _discards(s, flags):
            _copy_out(t, s, [(buf, length)], r.data)
        if addr:
            if r.addr:
                write_sockaddr(t, addr, lenp, r.addr)
            else:
                t.mem.write_i32(lenp, 0)
        return _ret(s, r, flags)

    return finish_with(_recv(t, s, length, flags), finish)


def _finish_msg(t: Task, s: Socket, p: int, hdr: tuple[Any, ...],
                iovs: list[tuple[int, int]], flags: int, r: Received) -> int:
    name, namelen, _, _, control, controllen, _ = hdr
    if r.data and not _discards(s, flags):
        try:
            _copy_out(t, s, iovs, r.data)
        except EFAULT:
            if r.control is not None and not flags & MSG_PEEK:
                r.control.drop()
            raise
    out_flags = r.flags
    if r.full > len(r.data) and s.stype != SOCK_STREAM:
        out_flags |= MSG_TRUNC
    ctl = b""
    if s.family == AF_UNIX and (control and controllen or r.control is not None
                                or getattr(s, "passcred", False)):
        space = controllen if control else 0
        ctl, more = cmsg.build(t, r.control, space, flags, bool(getattr(s, "passcred", False)),
                               bool(flags & MSG_PEEK))
        out_flags |= more
    elif r.control is not None and not flags & MSG_PEEK:
        r.control.drop()
    if ctl:
        t.mem.write(control, ctl)
    t.mem.write_u64(p + 40, len(ctl))  # msg_controllen
    t.mem.write_i32(p + 48, out_flags & ~MSG_CTRUNC | out_flags & MSG_CTRUNC)
    if name and namelen:
        t.mem.write(name, r.addr[:namelen & 0x7FFFFFFF])
    t.mem.write_u32(p + 8, len(r.addr) if name else 0)
    return _ret(s, r, flags)


def _prepare_recv(t: Task, p: int) -> tuple[tuple[Any, ...], list[tuple[int, int]]]:
    hdr = _read_msghdr(t, p)
    if hdr[1] & 0x80000000:
        raise EINVAL()
    return hdr, _gather(t, hdr[2], hdr[3])


def sys_recvmsg(t: Task, a: Args) -> Any:
    """Implements recvmsg(2)."""
    s = sock(t, a.int(0))
    p, flags = a.ptr(1), a.int(2)
    hdr, iovs = _prepare_recv(t, p)
    n = sum(length for _, length in iovs)
    got = _recv(t, s, n, flags)
    return finish_with(got, lambda r: _finish_msg(t, s, p, hdr, iovs, flags, r))


async def _recvmmsg(t: Task, s: Socket, vec: int, vlen: int, flags: int,
                    deadline: float | None) -> int:
    done = 0
    for i in range(vlen):
        p = vec + i * MMSGHDR_SIZE
        f = flags & ~MSG_WAITFORONE
        nonblock = s.nonblocking or bool(flags & MSG_DONTWAIT) or \
            (done > 0 and bool(flags & MSG_WAITFORONE))
        try:
            hdr, iovs = _prepare_recv(t, p)
            if deadline is not None and done and clock() >= deadline:
                break
            got = _recv(t, s, sum(n for _, n in iovs), f, nonblock or done > 0 and deadline
                        is not None and clock() >= deadline)
            r = got if isinstance(got, Received) else await got
            n = _finish_msg(t, s, p, hdr, iovs, f, r)
            t.mem.write_u32(p + _MSGHDR.size, n)
        except SysError:
            if done:
                return done
            raise
        done += 1
    return done


def sys_recvmmsg(t: Task, a: Args) -> Any:
    """Implements recvmmsg(2). Differences: the timeout is checked between messages only
    (as Linux does), not while waiting for the first."""
    s = sock(t, a.int(0))
    vec, vlen, flags, tsp = a.ptr(1), min(a.uint(2), UIO_MAXIOV), a.int(3), a.ptr(4)
    deadline = None
    if tsp:
        sec, nsec = _TS.unpack(t.mem.read(tsp, _TS.size))
        if sec < 0 or not 0 <= nsec < 1_000_000_000:
            raise EINVAL()
        deadline = clock() + sec + nsec / 1e9
    return _recvmmsg(t, s, vec, vlen, flags, deadline)

"""socket, socketpair, bind, listen, accept/accept4, connect, shutdown, getsockname,
getpeername, getsockopt, setsockopt (the send/recv family is in sys_socket_msg.py).

Every socket lives in the Sentry (sentry/netstack/); nothing here reaches the host.
Blocking calls try the operation, and on EAGAIN park on the socket's WaitQueue (or the
listener's, for a unix connect to a full backlog) within the socket's timeout, as pipes
do; a signal ends the wait with the kernel's restart rules (SA_RESTART restarts).

A call waiting within SO_RCVTIMEO/SO_SNDTIMEO is not restarted after a handler (EINTR,
as Linux's sock_intr_errno).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from typing import Any

from sentry.abi.errno import EAGAIN, EFAULT, EINVAL, ENOTSOCK, EOPNOTSUPP, SysError
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.kernel.wait import WaitSet
from sentry.kernel.waiter import POLLIN, POLLOUT
from sentry.netstack import create
from sentry.netstack.socket import (
    AF_UNIX, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_TYPE_MASK, Socket,
)
from sentry.netstack.unix.socket import socketpair

SOCKADDR_MAX = 128  # sizeof(struct sockaddr_storage)
AF_MAX = 46
clock = time.monotonic


# --- shared helpers (sys_socket_msg uses them too) -------------------------------------
def sock(t: Task, fd: int) -> Socket:
    """The socket at fd: EBADF, ENOTSOCK."""
    f = t.fds.get(fd)
    if not isinstance(f, Socket):
        raise ENOTSOCK()
    return f


def read_sockaddr(t: Task, addr: int, length: int) -> bytes:
    """A sockaddr argument: EINVAL for a length outside [0, sizeof(sockaddr_storage)]."""
    if length < 0 or length > SOCKADDR_MAX:
        raise EINVAL()
    return t.mem.read(addr, length) if length else b""


def write_sockaddr(t: Task, addr: int, lenp: int, data: bytes) -> None:
    """Copies an address out: *lenp bytes at most, *lenp then says the real length."""
    if not addr:
        return
    room = t.mem.read_i32(lenp)
    if room < 0:
        raise EINVAL()
    t.mem.write(addr, data[:room])
    t.mem.write_i32(lenp, len(data))


def blocking(t: Task, s: Socket, events: int, op: Callable[[], Any], nonblock: bool,
             timeout: float, source: Callable[[], Any] | None = None,
             on_timeout: type[SysError] = EAGAIN) -> Any:
    """op() now if it does not block; else a coroutine that waits and retries it.

    EAGAIN goes back at once for a non-blocking call, and `on_timeout` when the socket's
    timeout runs out.
    """
    try:
        return op()
    except EAGAIN:
        if nonblock:
            raise
    return _park(t, s, events, op, timeout, source, on_timeout)


async def _park(t: Task, s: Socket, events: int, op: Callable[[], Any], timeout: float,
                source: Callable[[], Any] | None, on_timeout: type[SysError]) -> Any:
    deadline = clock() + timeout if timeout else None
    while True:
        src = source() if source is not None else s.wait_source()
        if deadline is None:
            await t.wait_on(src, events)
        else:
            if clock() >= deadline:
                raise on_timeout()
            await t.wait_on(WaitSet([(src, events)], deadline, no_restart=True), 0)
        try:
            return op()
        except EAGAIN:
            pass


async def then(value: Any, finish: Callable[[Any], int]) -> int:
    return finish(await value)


def finish_with(value: Any, finish: Callable[[Any], int]) -> Any:
    """finish(value) now, or a coroutine that awaits value first (a parked call)."""
    if hasattr(value, "send") and hasattr(value, "throw"):
        return then(value, finish)
    return finish(value)


# --- creation ----------------------------------------------------------------------
def _type_flags(stype: int) -> tuple[int, bool, bool]:
    if stype & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC):
        raise EINVAL()
    return stype & SOCK_TYPE_MASK, bool(stype & SOCK_NONBLOCK), bool(stype & SOCK_CLOEXEC)


def sys_socket(t: Task, a: Args) -> int:
    """Implements socket(2)."""
    family, (stype, nonblock, cloexec), protocol = a.int(0), _type_flags(a.int(1)), a.int(2)
    if family < 0 or family >= AF_MAX:
        from sentry.abi.errno import EAFNOSUPPORT

        raise EAFNOSUPPORT()
    s = create(t, family, stype, protocol, nonblock)
    try:
        return t.fds.install(s, cloexec)
    except SysError:
        s.release()
        raise


def sys_socketpair(t: Task, a: Args) -> int:
    """Implements socketpair(2) (AF_UNIX; other families EOPNOTSUPP as Linux's inet)."""
    family, (stype, nonblock, cloexec) = a.int(0), _type_flags(a.int(1))
    protocol, sv = a.int(2), a.ptr(3)
    if family != AF_UNIX:
        create(t, family, stype, protocol, nonblock).release()  # EAFNOSUPPORT etc. first
        raise EOPNOTSUPP()
    create(t, family, stype, protocol, nonblock).release()  # the type/protocol checks
    pair = socketpair(t, stype, protocol, nonblock)
    for s in pair:
        s.uid, s.gid = t.creds.euid, t.creds.egid
    fds: list[int] = []
    try:
        for s in pair:
            fds.append(t.fds.install(s, cloexec))
        t.mem.write(sv, struct.pack("<ii", *fds))
    except SysError:
        for fd in fds:
            t.fds.close(fd)
        for s in pair:
            if s.refs == 0:
                s.release()
        raise
    return 0


# --- naming and connections ----------------------------------------------------------
def sys_bind(t: Task, a: Args) -> int:
    """Implements bind(2)."""
    s = sock(t, a.int(0))
    s.bind(t, read_sockaddr(t, a.ptr(1), a.int(2)))
    return 0


def sys_listen(t: Task, a: Args) -> int:
    """Implements listen(2)."""
    s = sock(t, a.int(0))
    s.listen(t, a.int(1))
    return 0


def _accept(t: Task, a: Args, flags: int) -> Any:
    if flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC):
        raise EINVAL()
    s = sock(t, a.int(0))
    addr, lenp = a.ptr(1), a.ptr(2)
    if addr and t.mem.read_i32(lenp) < 0:
        raise EINVAL()

    def finish(new: Socket) -> int:
        new.flags = new.flags & ~SOCK_NONBLOCK | flags & SOCK_NONBLOCK
        try:
            peer = new.getpeername()
        except SysError:
            peer = struct.pack("<H", new.family)
        try:
            write_sockaddr(t, addr, lenp, peer)
            return t.fds.install(new, bool(flags & SOCK_CLOEXEC))
        except SysError:
            new.release()  # Linux drops the connection it took
            raise

    got = blocking(t, s, POLLIN, lambda: s.accept(t), s.nonblocking, s.rcvtimeo)
    return finish_with(got, finish)


def sys_accept(t: Task, a: Args) -> Any:
    """Implements accept(2)."""
    return _accept(t, a, 0)


def sys_accept4(t: Task, a: Args) -> Any:
    """Implements accept4(2)."""
    return _accept(t, a, a.int(3))


def sys_connect(t: Task, a: Args) -> Any:
    """Implements connect(2): a blocking connect waits until the family says it is done."""
    s = sock(t, a.int(0))
    addr = read_sockaddr(t, a.ptr(1), a.int(2))
    first = [True]

    def op() -> int:
        if first[0]:
            first[0] = False
            s.connect(t, addr)
        else:
            s.connect_continue(t, addr)
        return 0

    return blocking(t, s, POLLOUT, op, s.nonblocking, s.sndtimeo, s.connect_source,
                    s.connect_timeout_error())


def sys_shutdown(t: Task, a: Args) -> int:
    """Implements shutdown(2)."""
    s = sock(t, a.int(0))
    how = a.int(1)
    if how not in (0, 1, 2):
        raise EINVAL()
    s.shutdown(how)
    return 0


def sys_getsockname(t: Task, a: Args) -> int:
    """Implements getsockname(2)."""
    s = sock(t, a.int(0))
    _check_len(t, a.ptr(2))
    write_sockaddr(t, a.ptr(1), a.ptr(2), s.getsockname())
    return 0


def sys_getpeername(t: Task, a: Args) -> int:
    """Implements getpeername(2)."""
    s = sock(t, a.int(0))
    _check_len(t, a.ptr(2))
    write_sockaddr(t, a.ptr(1), a.ptr(2), s.getpeername())
    return 0


def _check_len(t: Task, lenp: int) -> None:
    if not lenp:
        raise EFAULT()
    if t.mem.read_i32(lenp) < 0:
        raise EINVAL()


# --- options -------------------------------------------------------------------------
def sys_getsockopt(t: Task, a: Args) -> int:
    """Implements getsockopt(2)."""
    s = sock(t, a.int(0))
    level, name, val, lenp = a.int(1), a.int(2), a.ptr(3), a.ptr(4)
    room = t.mem.read_i32(lenp)
    if room < 0:
        raise EINVAL()
    data = s.getsockopt(t, level, name)
    n = min(room, len(data))
    t.mem.write(val, data[:n])
    t.mem.write_i32(lenp, n)
    return 0


def sys_setsockopt(t: Task, a: Args) -> int:
    """Implements setsockopt(2)."""
    s = sock(t, a.int(0))
    level, name, val, length = a.int(1), a.int(2), a.ptr(3), a.int(4)
    if length < 0:
        raise EINVAL()
    value = t.mem.read(val, min(length, 1024)) if length else b""
    s.setsockopt(t, level, name, value)
    return 0

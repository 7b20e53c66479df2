"""TCP and UDP over the Sentry's loopback, in-process through the handlers."""

from __future__ import annotations

import struct
from typing import Any

from sentry.abi.errno import (
    EADDRINUSE, EAGAIN, ECONNREFUSED, ECONNRESET, EINPROGRESS, ENETUNREACH, EPIPE,
)
from sentry.kernel.waiter import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP
from sentry.netstack.inet import addr as A
from sentry.netstack.socket import (
    AF_INET, AF_INET6, MSG_NOSIGNAL, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM,
)
from sentry.syscalls import sys_file, sys_socket
from tests.unit.netstack.test_unix import recv, send
from tests.unit.vfs.conftest import call
from tests.unit.vfs.test_pipe import Run


def sin(ip: bytes, port: int) -> bytes:
    return struct.pack("<H", AF_INET) + struct.pack("!H", port) + ip + b"\0" * 8


def listener(t: Any, backlog: int = 4) -> tuple[int, int]:
    s = call(t, sys_socket.sys_socket, AF_INET, SOCK_STREAM, 0)
    a = t.put(sin(b"\x7f\0\0\1", 0))
    assert call(t, sys_socket.sys_bind, s, a, 16) == 0
    assert call(t, sys_socket.sys_listen, s, backlog) == 0
    return s, t.fds.get(s).local[1]


def connect(t: Any, port: int, flags: int = 0, ip: bytes = b"\x7f\0\0\1") -> tuple[int, Any]:
    c = call(t, sys_socket.sys_socket, AF_INET, SOCK_STREAM | flags, 0)
    return c, call(t, sys_socket.sys_connect, c, t.put(sin(ip, port)), 16)


def test_roundtrip_half_close_and_fin(t: Any) -> None:
    s, port = listener(t)
    c, r = connect(t, port)
    assert r == 0
    x = call(t, sys_socket.sys_accept, s, 0, 0)
    assert send(t, c, b"hello") == 5
    assert recv(t, x) == b"hello"
    call(t, sys_socket.sys_shutdown, c, 1)
    assert t.fds.get(x).poll_events() & POLLRDHUP
    assert recv(t, x) == b""
    assert send(t, x, b"back") == 4
    assert recv(t, c) == b"back"
    call(t, sys_file.sys_close, x)
    assert recv(t, c) == b""


def test_rst_when_closing_with_unread_data(t: Any) -> None:
    s, port = listener(t)
    c, _ = connect(t, port)
    x = call(t, sys_socket.sys_accept, s, 0, 0)
    send(t, c, b"never read")
    call(t, sys_file.sys_close, x)
    assert t.fds.get(c).poll_events() & (POLLERR | POLLHUP) == POLLERR | POLLHUP
    assert recv(t, c) is ECONNRESET
    assert send(t, c, b"x", MSG_NOSIGNAL) is EPIPE


def test_refused_and_unreachable(t: Any) -> None:
    _, r = connect(t, 1)
    assert r is ECONNREFUSED
    c, r = connect(t, 1, SOCK_NONBLOCK)
    assert r is EINPROGRESS
    assert t.fds.get(c).error == ECONNREFUSED.errno
    _, r = connect(t, 80, ip=b"\x0a\0\0\1")
    assert r is ENETUNREACH


def test_blocking_connect_waits_for_room_in_backlog(t: Any) -> None:
    s, port = listener(t, backlog=0)
    _, r = connect(t, port)
    assert r == 0
    c2 = call(t, sys_socket.sys_socket, AF_INET, SOCK_STREAM, 0)
    run = Run(t, sys_socket.sys_connect, c2, t.put(sin(b"\x7f\0\0\1", port)), 16)
    assert not run.done and run.parked.events & POLLOUT
    call(t, sys_socket.sys_accept, s, 0, 0)
    run.step()
    assert run.done and run.result == 0


def test_blocking_accept_parks(t: Any) -> None:
    s, port = listener(t)
    run = Run(t, sys_socket.sys_accept, s, 0, 0)
    assert not run.done and run.parked.events & POLLIN
    connect(t, port)
    run.step()
    assert run.done and run.result >= 0


def test_bind_conflict_and_dual_stack(t: Any) -> None:
    s, port = listener(t)
    s2 = call(t, sys_socket.sys_socket, AF_INET, SOCK_STREAM, 0)
    assert call(t, sys_socket.sys_bind, s2, t.put(sin(b"\0\0\0\0", port)), 16) is EADDRINUSE
    v6 = call(t, sys_socket.sys_socket, AF_INET6, SOCK_STREAM, 0)
    raw6 = struct.pack("<H", AF_INET6) + struct.pack("!HI", 0, 0) + A.ANY6 + b"\0" * 4
    assert call(t, sys_socket.sys_bind, v6, t.put(raw6), 28) == 0
    assert call(t, sys_socket.sys_listen, v6, 1) == 0
    p6 = t.fds.get(v6).local[1]
    c, r = connect(t, p6)
    assert r == 0
    x = call(t, sys_socket.sys_accept, v6, 0, 0)
    assert t.fds.get(x).remote[0] == A.LOOP4  # v4-mapped


def test_udp_delivery_and_refusal(t: Any) -> None:
    s = call(t, sys_socket.sys_socket, AF_INET, SOCK_DGRAM, 0)
    call(t, sys_socket.sys_bind, s, t.put(sin(b"\x7f\0\0\1", 0)), 16)
    port = t.fds.get(s).local[1]
    c = call(t, sys_socket.sys_socket, AF_INET, SOCK_DGRAM, 0)
    assert call(t, sys_socket.sys_connect, c, t.put(sin(b"\x7f\0\0\1", port)), 16) == 0
    assert send(t, c, b"dgram") == 5
    assert recv(t, s, 3) == b"dgr"
    assert recv(t, s, flags=0x40) is EAGAIN
    call(t, sys_file.sys_close, s)
    assert send(t, c, b"x") == 1
    assert send(t, c, b"x") is ECONNREFUSED


def test_privileged_port_needs_root(root: Any) -> None:
    from sentry.abi.errno import EACCES
    from tests.unit.vfs.conftest import make_task, user

    u = make_task(root, user())
    s = call(u, sys_socket.sys_socket, AF_INET, SOCK_STREAM, 0)
    assert call(u, sys_socket.sys_bind, s, u.put(sin(b"\x7f\0\0\1", 80)), 16) is EACCES
    assert call(u, sys_socket.sys_bind, s, u.put(sin(b"\x7f\0\0\1", 8080)), 16) == 0


def test_listener_close_resets_queued_connections(t: Any) -> None:
    s, port = listener(t, backlog=0)
    c1, r1 = connect(t, port)
    c2, r2 = connect(t, port, SOCK_NONBLOCK)
    assert (r1, r2) == (0, EINPROGRESS)  # c2 waits: the backlog holds one
    call(t, sys_file.sys_close, s)
    assert recv(t, c1) is ECONNRESET
    assert t.fds.get(c2).error == ECONNREFUSED.errno


def test_cork_holds_a_partial_segment_until_uncork_fin_or_the_ceiling(t: Any) -> None:
    from sentry.netstack.inet.tcp import CORK_CEILING, MSS, TCP_CORK
    from sentry.netstack.socket import MSG_MORE, SOL_TCP

    s, port = listener(t)
    c, _ = connect(t, port)
    x = call(t, sys_socket.sys_accept, s, 0, 0)
    cs, xs = t.fds.get(c), t.fds.get(x)
    cork = t.put(struct.pack("<i", 1))
    uncork = t.put(struct.pack("<i", 0))
    call(t, sys_socket.sys_setsockopt, c, SOL_TCP, TCP_CORK, cork, 4)
    assert send(t, c, b"ab") == 2
    assert xs.readable_bytes() == 0 and cs.unsent_bytes() == 2
    assert recv(t, x, flags=0x40) is EAGAIN  # MSG_DONTWAIT
    call(t, sys_socket.sys_setsockopt, c, SOL_TCP, TCP_CORK, uncork, 4)
    assert recv(t, x) == b"ab" and cs.unsent_bytes() == 0
    # MSG_MORE holds until a plain send; whole segments go out at once
    assert send(t, c, b"m", MSG_MORE) == 1
    assert xs.readable_bytes() == 0
    assert send(t, c, b"x" * MSS, MSG_MORE) == MSS
    assert xs.readable_bytes() == MSS and cs.unsent_bytes() == 1
    assert send(t, c, b"n") == 1
    assert xs.readable_bytes() == MSS + 2
    recv(t, x, MSS + 2)
    # the ceiling: the kernel's timer sends what is held
    call(t, sys_socket.sys_setsockopt, c, SOL_TCP, TCP_CORK, cork, 4)
    send(t, c, b"late")
    timers = t.kernel.timers
    assert len(timers) == 1 and xs.readable_bytes() == 0
    deadline = timers.pending[0].deadline
    timers.clock = lambda: deadline
    timers.fire_due()
    assert recv(t, x) == b"late" and len(timers) == 0
    assert CORK_CEILING == 0.2
    # a FIN sends it first; a RST (close with unread data) throws it away
    send(t, c, b"fin")
    call(t, sys_socket.sys_shutdown, c, 1)
    assert recv(t, x) == b"fin" and recv(t, x) == b""
    c2, _ = connect(t, port)
    x2 = call(t, sys_socket.sys_accept, s, 0, 0)
    call(t, sys_socket.sys_setsockopt, c2, SOL_TCP, TCP_CORK, cork, 4)
    send(t, x2, b"unread")
    send(t, c2, b"lost")
    call(t, sys_file.sys_close, c2)
    assert recv(t, x2) is ECONNRESET and len(timers) == 0

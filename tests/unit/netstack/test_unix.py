"""AF_UNIX in-process: the socket objects and the syscall handlers on fake tasks."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from sentry.abi.errno import (
    EADDRINUSE, EAGAIN, ECONNREFUSED, ECONNRESET, EINVAL, ENOENT, ENOTSOCK, EPIPE,
    EPROTOTYPE,
)
from sentry.abi.stat import S_IFMT, S_IFSOCK
from sentry.kernel.waiter import POLLHUP, POLLIN, POLLOUT, POLLRDHUP
from sentry.netstack.socket import (
    AF_INET, AF_UNIX, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, SOCK_DGRAM, SOCK_NONBLOCK,
    SOCK_SEQPACKET, SOCK_STREAM,
)
from sentry.netstack.unix.socket import UnixSocket
from sentry.syscalls import sys_file, sys_read_write, sys_socket, sys_socket_msg
from sentry.vfs import ops
from sentry.vfs.constants import AT_FDCWD
from tests.unit.vfs.conftest import call, make_task
from tests.unit.vfs.test_pipe import Run


def pair(t: Any, stype: int = SOCK_STREAM) -> tuple[int, int]:
    sv = t.buf(8)
    assert call(t, sys_socket.sys_socketpair, AF_UNIX, stype, 0, sv) == 0
    return struct.unpack("<ii", t.mem.read(sv, 8))


def send(t: Any, fd: int, data: bytes, flags: int = 0) -> Any:
    return call(t, sys_socket_msg.sys_sendto, fd, t.put(data), len(data), flags, 0, 0)


def recv(t: Any, fd: int, n: int = 100, flags: int = 0) -> Any:
    buf = t.buf(n)
    r = call(t, sys_socket_msg.sys_recvfrom, fd, buf, n, flags, 0, 0)
    return t.mem.read(buf, r) if isinstance(r, int) else r


def sun(path: bytes) -> tuple[int, int]:
    raw = struct.pack("<H", AF_UNIX) + path + b"\0"
    return raw, len(raw)


def test_pair_stream_roundtrip_eof_and_epipe(t: Any) -> None:
    a, b = pair(t)
    assert send(t, a, b"hello") == 5
    assert recv(t, b, 3, MSG_PEEK) == b"hel"
    assert recv(t, b) == b"hello"
    assert recv(t, b, flags=MSG_DONTWAIT) is EAGAIN
    assert call(t, sys_file.sys_close, a) == 0
    assert recv(t, b) == b""
    assert send(t, b, b"x", MSG_NOSIGNAL) is EPIPE
    assert t.fds.get(b).poll_events() & (POLLHUP | POLLRDHUP) == POLLHUP | POLLRDHUP


def test_fstat_and_proc_name(t: Any) -> None:
    a, _ = pair(t)
    f = t.fds.get(a)
    assert f.stat().mode & S_IFMT == S_IFSOCK
    assert f.guest_path() == b"socket:[%d]" % f.stat().ino


def test_close_with_unread_data_resets_peer(t: Any) -> None:
    a, b = pair(t)
    send(t, a, b"unread")
    call(t, sys_file.sys_close, b)
    assert recv(t, a) is ECONNRESET
    assert recv(t, a) == b""


def test_blocking_recv_parks_until_data(t: Any) -> None:
    a, b = pair(t)
    r = Run(t, sys_socket_msg.sys_recvfrom, b, t.buf(10), 10, 0, 0, 0)
    assert not r.done and r.parked.events & POLLIN
    send(t, a, b"late")
    r.step()
    assert r.done and r.result == 4


def test_dgram_and_seqpacket_keep_boundaries(t: Any) -> None:
    for stype in (SOCK_DGRAM, SOCK_SEQPACKET):
        a, b = pair(t, stype)
        send(t, a, b"abc")
        send(t, a, b"de")
        assert recv(t, b, 2) == b"ab"
        assert recv(t, b) == b"de"


def test_path_bind_connect_accept(t: Any) -> None:
    s = call(t, sys_socket.sys_socket, AF_UNIX, SOCK_STREAM, 0)
    c = call(t, sys_socket.sys_socket, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)
    raw, n = sun(b"/tmp/srv")
    addr = t.put(raw)
    assert call(t, sys_socket.sys_connect, c, addr, n) is ENOENT
    assert call(t, sys_socket.sys_bind, s, addr, n) == 0
    assert call(t, sys_socket.sys_connect, c, addr, n) is ECONNREFUSED  # not listening
    s2 = call(t, sys_socket.sys_socket, AF_UNIX, SOCK_STREAM, 0)
    assert call(t, sys_socket.sys_bind, s2, addr, n) is EADDRINUSE
    assert call(t, sys_socket.sys_listen, s, 0) == 0
    d = call(t, sys_socket.sys_socket, AF_UNIX, SOCK_DGRAM, 0)
    assert call(t, sys_socket.sys_connect, d, addr, n) is EPROTOTYPE
    assert call(t, sys_socket.sys_connect, c, addr, n) == 0
    c2 = call(t, sys_socket.sys_socket, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)
    assert call(t, sys_socket.sys_connect, c2, addr, n) is EAGAIN  # backlog 0 holds one
    x = call(t, sys_socket.sys_accept4, s, 0, 0, 0)
    assert x >= 0
    assert call(t, sys_socket.sys_connect, c2, addr, n) == 0
    send(t, c, b"ping")
    assert recv(t, x) == b"ping"
    st = ops.stat_at(t, AT_FDCWD, b"/tmp/srv", follow=False)  # a socket inode in the VFS
    assert st.mode & S_IFMT == S_IFSOCK


def test_scm_rights_crosses_tasks(root: Any) -> None:
    t1, t2 = make_task(root, vpid=1), make_task(root, vpid=2)
    a = UnixSocket(SOCK_STREAM)
    b = UnixSocket(SOCK_STREAM)
    a.peer, b.peer, a.connected, b.connected = b, a, True, True
    fa, fb = t1.fds.install(a), t2.fds.install(b)
    passed = UnixSocket(SOCK_DGRAM)
    pfd = t1.fds.install(passed)
    ctl = struct.pack("<Qii", 20, 1, 1) + struct.pack("<i", pfd) + b"\0" * 4
    iov = t1.put(b"F")
    iovec = t1.put(struct.pack("<QQ", iov, 1))
    cbuf = t1.put(ctl)
    msg = t1.put(struct.pack("<QI4xQQQQi4x", 0, 0, iovec, 1, cbuf, len(ctl), 0))
    assert call(t1, sys_socket_msg.sys_sendmsg, fa, msg, 0) == 1
    call(t1, sys_file.sys_close, pfd)  # in flight: the message holds it
    rbuf, rcbuf = t2.buf(8), t2.buf(64)
    riov = t2.put(struct.pack("<QQ", rbuf, 8))
    rmsg = t2.put(struct.pack("<QI4xQQQQi4x", 0, 0, riov, 1, rcbuf, 64, 0))
    assert call(t2, sys_socket_msg.sys_recvmsg, fb, rmsg, 0) == 1
    clen, level, ctype, fd = struct.unpack("<Qiii", t2.mem.read(rcbuf, 20))
    assert (clen, level, ctype) == (20, 1, 1)
    assert t2.fds.get(fd) is passed


def test_not_a_socket(t: Any) -> None:
    p = t.buf(8)
    from sentry.syscalls import sys_pipe

    call(t, sys_pipe.sys_pipe, p)
    r, _ = struct.unpack("<ii", t.mem.read(p, 8))
    assert call(t, sys_socket.sys_listen, r, 1) is ENOTSOCK


def test_write_and_read_syscalls_on_sockets(t: Any) -> None:
    a, b = pair(t)
    data = t.put(b"via write")
    assert call(t, sys_read_write.sys_write, a, data, 9) == 9
    buf = t.buf(16)
    assert call(t, sys_read_write.sys_read, b, buf, 16) == 9


def test_socketpair_inet_and_bad_args(t: Any) -> None:
    sv = t.buf(8)
    from sentry.abi.errno import EOPNOTSUPP

    assert call(t, sys_socket.sys_socketpair, AF_INET, SOCK_STREAM, 0, sv) is EOPNOTSUPP
    assert call(t, sys_socket.sys_socket, AF_UNIX, 77, 0) is not None
    assert call(t, sys_socket.sys_bind, pair(t)[0], t.put(b"\1\0"), 200) is EINVAL


@pytest.mark.parametrize("stype", [SOCK_STREAM, SOCK_SEQPACKET])
def test_poll_bits_of_connected_pair(t: Any, stype: int) -> None:
    a, b = pair(t, stype)
    fb = t.fds.get(b)
    assert fb.poll_events() & (POLLIN | POLLOUT) == POLLOUT
    send(t, a, b"x")
    assert fb.poll_events() & POLLIN


def test_rights_that_do_not_fit_set_ctrunc(t: Any) -> None:
    a, b = pair(t)
    p = t.buf(8)
    from sentry.syscalls import sys_pipe

    call(t, sys_pipe.sys_pipe, p)
    r, w = struct.unpack("<ii", t.mem.read(p, 8))
    ctl = struct.pack("<Qii", 24, 1, 1) + struct.pack("<ii", r, w)
    iov = t.put(struct.pack("<QQ", t.put(b"F"), 1))
    msg = t.put(struct.pack("<QI4xQQQQi4x", 0, 0, iov, 1, t.put(ctl), len(ctl), 0))
    assert call(t, sys_socket_msg.sys_sendmsg, a, msg, 0) == 1
    before = len(t.fds)
    rbuf, cbuf = t.buf(8), t.buf(24)
    riov = t.put(struct.pack("<QQ", rbuf, 8))
    rmsg = t.put(struct.pack("<QI4xQQQQi4x", 0, 0, riov, 1, cbuf, 20, 0))  # room for one fd
    assert call(t, sys_socket_msg.sys_recvmsg, b, rmsg, 0) == 1
    flags = t.mem.read_i32(rmsg + 48)
    assert flags & 0x8  # MSG_CTRUNC
    assert len(t.fds) == before + 1  # one installed, the other closed

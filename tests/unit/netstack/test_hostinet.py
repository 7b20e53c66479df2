"""--network=host in-process: guest sockets are the Sentry's host sockets (a real loopback
server in this test process is the peer). The mode is switched for each test only."""

from __future__ import annotations

import select
import socket
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from sentry import netstack
from sentry.abi.errno import EACCES, ECONNREFUSED, EINPROGRESS, ENOPROTOOPT
from sentry.netstack import link
from sentry.netstack.hostinet.socket import HostSocket
from sentry.netstack.socket import AF_INET, SOCK_NONBLOCK, SOCK_STREAM
from sentry.syscalls import sys_socket
from tests.unit.netstack.test_inet import sin
from tests.unit.netstack.test_unix import recv, send
from tests.unit.vfs.conftest import call, make_task, user
from tests.unit.vfs.test_pipe import Run


@pytest.fixture(autouse=True)
def host_mode() -> Iterator[None]:
    families, interfaces = dict(netstack.FAMILIES), list(link.INTERFACES)
    netstack.set_network("host")
    yield
    netstack.FAMILIES.clear()
    netstack.FAMILIES.update(families)
    link.INTERFACES[:] = interfaces


def test_connect_send_recv_through_the_host(t: Any) -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    fd = call(t, sys_socket.sys_socket, AF_INET, SOCK_STREAM, 0)
    s = t.fds.get(fd)
    assert isinstance(s, HostSocket)
    run = Run(t, sys_socket.sys_connect, fd, t.put(sin(b"\x7f\0\0\1", srv.getsockname()[1])),
              16)
    conn, _ = srv.accept()
    while not run.done:  # parked on the host fd until the connect settles
        assert run.parked.source == s.fd
        select.select([], [s.fd], [], 10)
        run.step()
    assert run.result == 0
    assert send(t, fd, b"to host") == 7
    assert conn.recv(100) == b"to host"
    conn.sendall(b"to guest")
    select.select([s.fd], [], [], 10)
    assert recv(t, fd) == b"to guest"
    conn.close()
    srv.close()


def test_refused_and_privileged_port(root: Any, t: Any) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    fd = call(t, sys_socket.sys_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)
    r = call(t, sys_socket.sys_connect, fd, t.put(sin(b"\x7f\0\0\1", port)), 16)
    assert r in (ECONNREFUSED, EINPROGRESS)
    if r is EINPROGRESS:
        select.select([], [t.fds.get(fd).fd], [], 10)
        val, lenp = t.put(bytes(4)), t.put(struct.pack("<i", 4))
        assert call(t, sys_socket.sys_getsockopt, fd, 1, 4, val, lenp) == 0  # SO_ERROR
        assert t.mem.read_i32(val) == ECONNREFUSED.errno
    u = make_task(root, user())
    fd = call(u, sys_socket.sys_socket, AF_INET, SOCK_STREAM, 0)
    assert call(u, sys_socket.sys_bind, fd, u.put(sin(b"\x7f\0\0\1", 81)), 16) is EACCES


def test_options_outside_the_list_are_refused(t: Any) -> None:
    fd = call(t, sys_socket.sys_socket, AF_INET, SOCK_STREAM, 0)
    val, lenp = t.put(struct.pack("<i", 1)), t.put(struct.pack("<i", 4))
    assert call(t, sys_socket.sys_setsockopt, fd, 1, 25, val, 4) is ENOPROTOOPT  # BINDTODEVICE
    assert call(t, sys_socket.sys_getsockopt, fd, 6, 1, val, lenp) == 0  # TCP_NODELAY passes


def test_interfaces_are_the_hosts() -> None:
    assert {i.name for i in link.INTERFACES} == {n.encode() for _, n in socket.if_nameindex()}

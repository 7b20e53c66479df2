"""NETLINK_ROUTE dumps and the SIOCGIF* ioctls, in-process."""

from __future__ import annotations

import struct
from typing import Any

from sentry.abi.errno import ENODEV, EPROTONOSUPPORT
from sentry.netstack import netlink
from sentry.netstack.socket import AF_INET, AF_NETLINK, SOCK_DGRAM, SOCK_RAW
from sentry.syscalls import sys_ioctl, sys_socket
from tests.unit.netstack.test_unix import recv, send
from tests.unit.vfs.conftest import call


def _messages(data: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(data):
        length, kind = struct.unpack_from("<IH", data, pos)
        out.append((kind, data[pos + 16:pos + length]))
        pos += (length + 3) & ~3
    return out


def test_link_and_addr_dumps(t: Any) -> None:
    s = call(t, sys_socket.sys_socket, AF_NETLINK, SOCK_RAW, 0)
    req = struct.pack("<IHHII", 32, netlink.RTM_GETLINK, 1 | 0x300, 1, 0) + bytes(16)
    assert send(t, s, req) == 32
    msgs = _messages(recv(t, s, 8192))
    assert [k for k, _ in msgs] == [netlink.RTM_NEWLINK, netlink.NLMSG_DONE]
    assert struct.unpack_from("<i", msgs[0][1], 4)[0] == 1  # lo's index
    req = struct.pack("<IHHII", 24, netlink.RTM_GETADDR, 1 | 0x300, 2, 0) + bytes(8)
    send(t, s, req)
    msgs = _messages(recv(t, s, 8192))
    families = [body[0] for k, body in msgs if k == netlink.RTM_NEWADDR]
    assert families == [2, 10]


def test_bad_protocol(t: Any) -> None:
    assert call(t, sys_socket.sys_socket, AF_NETLINK, SOCK_RAW, 40) is EPROTONOSUPPORT


def test_siocgif_ioctls(t: Any) -> None:
    s = call(t, sys_socket.sys_socket, AF_INET, SOCK_DGRAM, 0)
    req = t.put(b"lo".ljust(40, b"\0"))
    assert call(t, sys_ioctl.sys_ioctl, s, 0x8915, req) == 0  # SIOCGIFADDR
    assert t.mem.read(req + 20, 4) == b"\x7f\0\0\1"
    assert call(t, sys_ioctl.sys_ioctl, s, 0x8933, req) == 0  # SIOCGIFINDEX
    assert t.mem.read_i32(req + 16) == 1
    missing = t.put(b"nosuch0".ljust(40, b"\0"))
    assert call(t, sys_ioctl.sys_ioctl, s, 0x8913, missing) is ENODEV

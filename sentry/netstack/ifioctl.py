"""The interface ioctls on sockets (SIOCGIF*), answered from sentry/netstack/link.py.

struct ifreq is 40 bytes: ifr_name[16] then a 24-byte union (a sockaddr, a short of
flags, an int index or MTU). SIOCGIFCONF fills struct ifconf {int len; char *buf} with
one ifreq per IPv4 address. Read-only: the SIOCSIF* requests get EPERM.
"""

from __future__ import annotations

import struct
from typing import Any

from sentry.abi.errno import EFAULT, ENODEV, ENOTTY, EPERM
from sentry.netstack import link
from sentry.netstack.socket import AF_INET

SIOCGIFNAME, SIOCGIFCONF, SIOCGIFFLAGS = 0x8910, 0x8912, 0x8913
SIOCGIFADDR, SIOCGIFBRDADDR, SIOCGIFNETMASK, SIOCGIFMTU = 0x8915, 0x8919, 0x891B, 0x8921
SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFTXQLEN = 0x8927, 0x8933, 0x8942
SIOCSIF_FIRST, SIOCSIF_LAST = 0x8911, 0x8937
IFREQ = 40


def _sin(addr: bytes) -> bytes:
    return struct.pack("<H", AF_INET) + b"\0\0" + addr + b"\0" * 8


def _v4(i: link.Interface) -> link.Address | None:
    for a in i.addrs:
        if a.family == AF_INET:
            return a
    return None


def _ifconf(t: Any, arg: int) -> int:
    length, buf = struct.unpack("<i4xQ", t.mem.read(arg, 16))
    recs = [i.name.ljust(16, b"\0") + _sin(a.addr) + b"\0" * 8
            for i in link.INTERFACES if (a := _v4(i)) is not None]
    if buf == 0:
        t.mem.write_i32(arg, len(recs) * IFREQ)
        return 0
    fit = recs[:max(0, length) // IFREQ]
    t.mem.write(buf, b"".join(fit))
    t.mem.write_i32(arg, len(fit) * IFREQ)
    return 0


def socket_ioctl(s: Any, t: Any, cmd: int, arg: int) -> int:
    """Socket.ioctl_hook: the SIOCGIF* requests (ENOTTY for anything else)."""
    if cmd == SIOCGIFCONF:
        return _ifconf(t, arg)
    if not SIOCGIFNAME <= cmd <= SIOCGIFTXQLEN:
        raise ENOTTY()
    if cmd != SIOCGIFNAME and cmd not in _GETS:
        raise EPERM() if SIOCSIF_FIRST <= cmd <= SIOCSIF_LAST else ENOTTY()
    req = t.mem.read(arg, IFREQ) if arg else b""
    if not req:
        raise EFAULT()
    if cmd == SIOCGIFNAME:
        i = link.by_index(struct.unpack_from("<i", req, 16)[0])
        if i is None:
            raise ENODEV()
        t.mem.write(arg, i.name.ljust(16, b"\0"))
        return 0
    i = link.by_name(req[:16].split(b"\0", 1)[0])
    if i is None:
        raise ENODEV()
    t.mem.write(arg + 16, _GETS[cmd](i))
    return 0


def _addr(i: link.Interface) -> bytes:
    a = _v4(i)
    if a is None:
        from sentry.abi.errno import EADDRNOTAVAIL

        raise EADDRNOTAVAIL()
    return _sin(a.addr)


def _mask(i: link.Interface) -> bytes:
    a = _v4(i)
    if a is None:
        from sentry.abi.errno import EADDRNOTAVAIL

        raise EADDRNOTAVAIL()
    return _sin(link.netmask(a.prefixlen, 4))


_GETS = {
    SIOCGIFFLAGS: lambda i: struct.pack("<H", i.flags & 0xFFFF),
    SIOCGIFADDR: _addr,
    SIOCGIFNETMASK: _mask,
    SIOCGIFBRDADDR: lambda i: _sin(b"\0\0\0\0"),
    SIOCGIFMTU: lambda i: struct.pack("<i", i.mtu),
    SIOCGIFINDEX: lambda i: struct.pack("<i", i.index),
    SIOCGIFHWADDR: lambda i: struct.pack("<H", i.hwtype) + i.hwaddr,
    SIOCGIFTXQLEN: lambda i: struct.pack("<i", 1000),
}


def register() -> None:
    from sentry.netstack import socket as sock

    sock.ioctl_hook = socket_ioctl

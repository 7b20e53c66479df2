"""sockaddr_in / sockaddr_in6 and the loopback's address rules.

Inside the stack every address is 16 bytes (IPv6; IPv4 as v4-mapped ::ffff:a.b.c.d), so
a dual-stack IPv6 socket and an IPv4 socket meet on the same port table. A socket's
family decides how addresses are shown back to it.
"""

from __future__ import annotations

import struct

from sentry.abi.errno import EAFNOSUPPORT, EINVAL
from sentry.netstack.socket import AF_INET, AF_INET6, AF_UNSPEC

V4MAPPED = b"\0" * 10 + b"\xff\xff"
ANY6 = b"\0" * 16
ANY4 = V4MAPPED + b"\0\0\0\0"
LOOP6 = b"\0" * 15 + b"\1"
LOOP4 = V4MAPPED + b"\x7f\0\0\1"
_IN = struct.Struct("!HH4s8x")
_IN6 = struct.Struct("!HHI16sI")

Endpoint = tuple[bytes, int]  # (16-byte address, port)


def is_v4(a: bytes) -> bool:
    return a[:12] == V4MAPPED


def is_any(a: bytes) -> bool:
    return a in (ANY6, ANY4)


def is_loopback(a: bytes) -> bool:
    return a == LOOP6 or (is_v4(a) and a[12] == 127)


def is_broadcast(a: bytes) -> bool:
    return is_v4(a) and (a[12:] == b"\xff\xff\xff\xff" or a[12:] == b"\x7f\xff\xff\xff")


def is_local(a: bytes) -> bool:
    """An address of this host: lo's (127.0.0.0/8, ::1) or a wildcard."""
    return is_loopback(a) or is_any(a)


def parse(family: int, raw: bytes, for_bind: bool = False) -> Endpoint:
    """A sockaddr for a socket of `family`: (address, port). EINVAL/EAFNOSUPPORT as Linux.

    An IPv6 socket takes sockaddr_in6 (v4-mapped addresses reach IPv4); an IPv4 socket
    takes sockaddr_in, and AF_UNSPEC with INADDR_ANY for bind (Linux's compatibility).
    """
    if len(raw) < 2:
        raise EINVAL()
    fam = struct.unpack_from("<H", raw)[0]
    if family == AF_INET:
        if len(raw) < 16:
            raise EINVAL()
        _, port, a4 = _IN.unpack_from(raw)
        if fam != AF_INET:
            if not (for_bind and fam == AF_UNSPEC and a4 == b"\0\0\0\0"):
                raise EAFNOSUPPORT()
        return V4MAPPED + a4, port
    if len(raw) < 24:
        raise EINVAL()
    if fam != AF_INET6:
        raise EAFNOSUPPORT()
    _, port, _, a6, _ = _IN6.unpack_from(raw + b"\0" * (28 - len(raw)))
    return a6, port


def is_unspec(raw: bytes) -> bool:
    return len(raw) >= 2 and struct.unpack_from("<H", raw)[0] == AF_UNSPEC


def sockaddr(family: int, ep: Endpoint) -> bytes:
    """The sockaddr a socket of `family` sees for an endpoint."""
    a, port = ep
    if family == AF_INET:
        return struct.pack("<H", AF_INET) + struct.pack("!H", port) + a[12:] + b"\0" * 8
    return struct.pack("<H", AF_INET6) + struct.pack("!HI", port, 0) + a + b"\0\0\0\0"


__all__ = [
    "ANY4", "ANY6", "LOOP4", "LOOP6", "Endpoint", "is_any", "is_broadcast", "is_local",
    "is_loopback", "is_v4", "parse", "sockaddr",
]

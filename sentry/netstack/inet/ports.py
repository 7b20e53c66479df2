"""The loopback transport's demultiplexing: port tables, ephemeral ports, routes.

This is the seam where a packet-level stack can replace the loopback (the issue's
`--network=sandbox`): sockets ask `route` whether a destination is reachable, `bind` for
a local endpoint and `lookup` for the socket a segment or datagram is delivered to.
Binding follows Linux's inet_csk_bind_conflict in the cases programs meet: two sockets
may share a port when their addresses cannot overlap, or when both set SO_REUSEPORT, or
(both SO_REUSEADDR) when neither is listening (TCP) / always (UDP).
"""

from __future__ import annotations

import itertools
from typing import Any

from sentry.abi.errno import EADDRINUSE, EADDRNOTAVAIL, ENETUNREACH
from sentry.netstack.inet import addr as A
from sentry.netstack.socket import SO_REUSEADDR, SO_REUSEPORT

EPHEMERAL_LO, EPHEMERAL_HI = 32768, 60999  # net.ipv4.ip_local_port_range

# Whether non-loopback destinations are reachable (False: --network=none, no route).
external_route: Any = None


class PortTable:
    """Bound sockets of one protocol, by port."""

    def __init__(self, listening_matters: bool) -> None:
        self.ports: dict[int, list[Any]] = {}
        self.listening_matters = listening_matters
        self._next = itertools.count()

    def _conflicts(self, s: Any, a: bytes, other: Any) -> bool:
        oa = other.local[0]
        if not _overlap(s, a, other, oa):
            return False
        if s.option(SO_REUSEPORT) and other.option(SO_REUSEPORT):
            return False
        if s.option(SO_REUSEADDR) and other.option(SO_REUSEADDR):
            return self.listening_matters and other.is_listening()
        return True

    def bind(self, s: Any, a: bytes, port: int) -> int:
        """Binds s to (a, port), port 0 picking an ephemeral one; returns the port."""
        if not A.is_local(a) and not A.is_broadcast(a):
            raise EADDRNOTAVAIL()
        if port == 0:
            port = self._ephemeral(s, a)
        elif any(self._conflicts(s, a, o) for o in self.ports.get(port, ())):
            raise EADDRINUSE()
        self.ports.setdefault(port, []).append(s)
        s.local = (a, port)
        return port

    def _ephemeral(self, s: Any, a: bytes) -> int:
        span = EPHEMERAL_HI - EPHEMERAL_LO + 1
        for _ in range(span):
            port = EPHEMERAL_LO + next(self._next) % span
            if not any(self._conflicts(s, a, o) for o in self.ports.get(port, ())):
                return port
        raise EADDRINUSE()

    def unbind(self, s: Any) -> None:
        if s.local is None:
            return
        socks = self.ports.get(s.local[1])
        if socks and s in socks:
            socks.remove(s)
            if not socks:
                del self.ports[s.local[1]]

    def lookup(self, dst: A.Endpoint, want: Any = None) -> list[Any]:
        """Sockets bound to receive at dst, exact address first, then wildcards;
        `want(s)` filters (a listener, a UDP socket whose connected peer matches …)."""
        a, port = dst
        exact, wild = [], []
        for s in self.ports.get(port, ()):
            if want is not None and not want(s):
                continue
            sa = s.local[0]
            if sa == a:
                exact.append(s)
            elif _accepts(s, sa, a):
                wild.append(s)
        return exact + wild


def _overlap(s: Any, a: bytes, other: Any, oa: bytes) -> bool:
    """Whether two bound addresses can receive the same packet."""
    if a == oa:
        return True
    return _accepts(s, a, oa) or _accepts(other, oa, a)


def _accepts(s: Any, bound: bytes, dst: bytes) -> bool:
    """Whether a socket bound to `bound` (maybe a wildcard) receives for `dst`."""
    if bound == A.ANY4:
        return A.is_v4(dst)
    if bound == A.ANY6:
        return not (A.is_v4(dst) and s.v6only)
    return bound == dst


def route(dst: bytes) -> bytes:
    """The source address for a destination; ENETUNREACH without a route (as Linux
    with no route, --network=none)."""
    if A.is_any(dst):
        return A.LOOP4 if dst == A.ANY4 else A.LOOP6
    if A.is_loopback(dst):
        return A.LOOP4 if A.is_v4(dst) else A.LOOP6
    if A.is_broadcast(dst):
        return A.LOOP4
    raise ENETUNREACH()


def connect_target(dst: bytes) -> bytes:
    """Where a connection to dst lands: a wildcard destination means this host."""
    if dst == A.ANY4:
        return A.LOOP4
    if dst == A.ANY6:
        return A.LOOP6
    return dst


TCP = PortTable(listening_matters=True)
UDP = PortTable(listening_matters=False)

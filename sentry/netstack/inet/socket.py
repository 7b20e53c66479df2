"""What TCP and UDP sockets share: addresses, bind, names, the IP-level options."""

from __future__ import annotations

import struct
from typing import Any

from sentry.abi.errno import EINVAL, ENOPROTOOPT, ENOTCONN
from sentry.kernel.creds import CAP_NET_BIND_SERVICE, capable
from sentry.netstack.inet import addr as A
from sentry.netstack.inet.ports import PortTable
from sentry.netstack.socket import (
    AF_INET, AF_INET6, SOL_IP, SOL_IPV6, Socket, int_opt,
)

IPV6_V6ONLY = 26
IP_TOS, IP_TTL, IP_MTU_DISCOVER, IP_RECVERR, IP_PKTINFO = 1, 2, 10, 11, 8
IPV6_UNICAST_HOPS, IPV6_RECVERR, IPV6_TCLASS, IPV6_RECVPKTINFO = 16, 25, 67, 49
_INT = struct.Struct("<i")
_IP_DEFAULTS = {IP_TTL: 64, IP_MTU_DISCOVER: 1}
_IPV6_DEFAULTS = {IPV6_UNICAST_HOPS: 64}


def check_port(t: Any, port: int) -> None:
    """EACCES for a port below net.ipv4.ip_unprivileged_port_start without
    CAP_NET_BIND_SERVICE."""
    if t is None or port <= 0 or capable(t.creds, CAP_NET_BIND_SERVICE):
        return
    if port < t.kernel.sysctl.int("net.ipv4.ip_unprivileged_port_start"):
        from sentry.abi.errno import EACCES

        raise EACCES()


class InetSocket(Socket):
    """An AF_INET or AF_INET6 socket; subclasses name their port table."""

    table: PortTable

    def __init__(self, family: int, stype: int, protocol: int, nonblock: bool) -> None:
        super().__init__(stype, protocol, nonblock)
        self.family = family
        self.local: A.Endpoint | None = None
        self.remote: A.Endpoint | None = None
        self.v6only = False
        self.ip_opts: dict[tuple[int, int], int] = {}

    # --- addresses ----------------------------------------------------------------
    def any_addr(self) -> bytes:
        return A.ANY4 if self.family == AF_INET else A.ANY6

    def parse(self, raw: bytes, for_bind: bool = False) -> A.Endpoint:
        ep = A.parse(self.family, raw, for_bind)
        if self.family == AF_INET6 and A.is_v4(ep[0]) and self.v6only:
            from sentry.abi.errno import ENETUNREACH

            raise EINVAL() if for_bind else ENETUNREACH()
        return ep

    def bind(self, t: Any, raw: bytes) -> None:
        a, port = self.parse(raw, for_bind=True)
        if self.local is not None:
            raise EINVAL()
        check_port(t, port)
        self.table.bind(self, a, port)
        self.explicit_bind = True

    def autobind(self, src: bytes | None = None) -> None:
        """An ephemeral port on the wildcard address (connect, send, listen unbound)."""
        if self.local is None:
            self.table.bind(self, self.any_addr(), 0)

    def getsockname(self) -> bytes:
        return A.sockaddr(self.family, self.local or (self.any_addr(), 0))

    def getpeername(self) -> bytes:
        if self.remote is None:
            raise ENOTCONN()
        return A.sockaddr(self.family, self.remote)

    def name_of(self, ep: A.Endpoint) -> bytes:
        return A.sockaddr(self.family, ep)

    def unbind(self) -> None:
        self.table.unbind(self)
        self.local = None

    # --- IP-level options ----------------------------------------------------------
    def getsockopt_level(self, t: Any, level: int, name: int) -> bytes:
        if level == SOL_IPV6 and self.family == AF_INET6:
            if name == IPV6_V6ONLY:
                return _INT.pack(int(self.v6only))
            if name in (IPV6_UNICAST_HOPS, IPV6_RECVERR, IPV6_TCLASS, IPV6_RECVPKTINFO):
                return _INT.pack(self.ip_opts.get((level, name), _IPV6_DEFAULTS.get(name, 0)))
            raise ENOPROTOOPT()
        if level == SOL_IP:
            if name in (IP_TOS, IP_TTL, IP_MTU_DISCOVER, IP_RECVERR, IP_PKTINFO):
                return _INT.pack(self.ip_opts.get((level, name), _IP_DEFAULTS.get(name, 0)))
            raise ENOPROTOOPT()
        return self.proto_getsockopt(t, level, name)

    def setsockopt_level(self, t: Any, level: int, name: int, value: bytes) -> None:
        if level == SOL_IPV6 and self.family == AF_INET6:
            v = int_opt(value)
            if name == IPV6_V6ONLY:
                if self.local is not None:
                    raise EINVAL()
                self.v6only = v != 0
                return
            if name in (IPV6_UNICAST_HOPS, IPV6_RECVERR, IPV6_TCLASS, IPV6_RECVPKTINFO):
                self.ip_opts[(level, name)] = v
                return
            raise ENOPROTOOPT()
        if level == SOL_IP:
            if name in (IP_TOS, IP_TTL, IP_MTU_DISCOVER, IP_RECVERR, IP_PKTINFO):
                v = int_opt(value) if len(value) >= 4 else (value[0] if value else 0)
                if name == IP_TTL and not (v == -1 or 1 <= v <= 255):
                    raise EINVAL()
                self.ip_opts[(level, name)] = 64 if name == IP_TTL and v == -1 else v
                return
            raise ENOPROTOOPT()
        self.proto_setsockopt(t, level, name, value)

    def proto_getsockopt(self, t: Any, level: int, name: int) -> bytes:
        return super().getsockopt_level(t, level, name)

    def proto_setsockopt(self, t: Any, level: int, name: int, value: bytes) -> None:
        super().setsockopt_level(t, level, name, value)

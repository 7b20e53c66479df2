"""AF_INET and AF_INET6: TCP and UDP over a loopback inside the Sentry.

The socket layer (socket.py here, tcp.py, udp.py) talks to the transport only through
ports.py (bind, lookup, route), the seam a packet-level stack would replace.
"""

from __future__ import annotations

from typing import Any

IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 = 1, 6, 17, 58


def _factory(family: int) -> Any:
    def create(t: Any, stype: int, protocol: int, nonblock: bool) -> Any:
        from sentry.abi.errno import EACCES, EPERM, EPROTONOSUPPORT, ESOCKTNOSUPPORT
        from sentry.netstack.inet.tcp import TCPSocket
        from sentry.netstack.inet.udp import UDPSocket
        from sentry.netstack.socket import SOCK_DGRAM, SOCK_RAW, SOCK_STREAM

        if stype == SOCK_STREAM:
            if protocol not in (0, IPPROTO_TCP):
                raise EPROTONOSUPPORT()
            return TCPSocket(family, IPPROTO_TCP, nonblock, t.kernel.timers)
        if stype == SOCK_DGRAM:
            if protocol in (IPPROTO_ICMP, IPPROTO_ICMPV6):
                raise EACCES()  # ping sockets: net.ipv4.ping_group_range is "1 0"
            if protocol not in (0, IPPROTO_UDP):
                raise EPROTONOSUPPORT()
            return UDPSocket(family, IPPROTO_UDP, nonblock)
        if stype == SOCK_RAW:
            raise EPERM()  # no CAP_NET_RAW in the sandbox's network
        raise ESOCKTNOSUPPORT()

    return create


def register() -> None:
    from sentry.netstack import register as add
    from sentry.netstack.socket import AF_INET, AF_INET6

    add(AF_INET, _factory(AF_INET))
    add(AF_INET6, _factory(AF_INET6))

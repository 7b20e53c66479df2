"""--network=host: AF_INET/AF_INET6 sockets the Sentry opens on the host and relays.

The workload's own processes live in an empty network namespace; the Sentry does not, so
a guest TCP or UDP socket is a host socket the Sentry holds (non-blocking, in its own
namespace), and the guest sees only its own fd. Addresses and options are decoded and
checked here before any host call; unix and netlink sockets stay in the Sentry.
"""

from __future__ import annotations

from typing import Any


def _factory(family: int) -> Any:
    def create(t: Any, stype: int, protocol: int, nonblock: bool) -> Any:
        from sentry.netstack.hostinet.socket import new_host_socket

        return new_host_socket(family, stype, protocol, nonblock)

    return create


def register() -> None:
    """Makes AF_INET and AF_INET6 sockets host sockets (replacing the loopback)."""
    from sentry.netstack import register as add
    from sentry.netstack.socket import AF_INET, AF_INET6

    add(AF_INET, _factory(AF_INET))
    add(AF_INET6, _factory(AF_INET6))
    from sentry.netstack.hostinet.interfaces import use_host_interfaces

    use_host_interfaces()

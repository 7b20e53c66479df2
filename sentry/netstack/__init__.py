"""The Sentry's network stack: the socket layer (socket.py) and the families.

`create(t, family, stype, protocol, nonblock)` makes a socket of a registered family;
the families register themselves here (unix always; inet per the --network mode), so
the socket layer never imports a transport.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sentry.abi.errno import EAFNOSUPPORT
from sentry.netstack.socket import Socket

Factory = Callable[[Any, int, int, bool], Socket]
FAMILIES: dict[int, Factory] = {}


def register(family: int, factory: Factory) -> None:
    FAMILIES[family] = factory


def create(t: Any, family: int, stype: int, protocol: int, nonblock: bool) -> Socket:
    """A new socket (EAFNOSUPPORT for an unknown family; the family's own errors)."""
    factory = FAMILIES.get(family)
    if factory is None:
        raise EAFNOSUPPORT()
    s = factory(t, stype, protocol, nonblock)
    s.uid, s.gid = t.creds.euid, t.creds.egid
    return s


def _register_defaults() -> None:
    from sentry.netstack import ifioctl, inet, netlink, unix

    unix.register()
    inet.register()
    netlink.register()
    ifioctl.register()


def set_network(mode: str) -> None:
    """--network: "none" (AF_INET/AF_INET6 on the Sentry's loopback) or "host" (host
    sockets the Sentry holds and relays). ValueError for anything else."""
    if mode == "none":
        from sentry.netstack import inet

        inet.register()
    elif mode == "host":
        from sentry.netstack import hostinet

        hostinet.register()
    else:
        raise ValueError(f"network mode {mode!r} is not supported")


_register_defaults()

__all__ = ["FAMILIES", "create", "register", "set_network"]

"""--network=host: the host's interfaces (the Sentry's network namespace) for netlink and
the SIOCGIF* ioctls, read once when the mode is chosen, as a snapshot.

IPv4 addresses come from the SIOCGIF* ioctls, IPv6 ones from the Sentry's own
/proc/net/if_inet6; an interface that vanishes meanwhile is left out.
"""

from __future__ import annotations

import fcntl
import socket
import struct

from sentry.netstack import link

SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFMTU, SIOCGIFHWADDR = \
    0x8913, 0x8915, 0x891B, 0x8921, 0x8927
IFF_LOWER_UP_DEFAULT = link.IFF_LOWER_UP


def _ifreq(s: socket.socket, cmd: int, name: bytes) -> bytes | None:
    try:
        return fcntl.ioctl(s.fileno(), cmd, name.ljust(40, b"\0"))
    except OSError:
        return None


def _inet6() -> dict[bytes, list[link.Address]]:
    out: dict[bytes, list[link.Address]] = {}
    try:
        with open("/proc/net/if_inet6", "rb") as f:
            lines = f.read().splitlines()
    except OSError:
        return out
    for line in lines:
        parts = line.split()
        if len(parts) != 6:
            continue
        addr, _, plen, scope, _, name = parts
        scope_v = {0x00: 0, 0x10: link.RT_SCOPE_HOST, 0x20: 253}.get(int(scope, 16), 0)
        out.setdefault(name, []).append(
            link.Address(10, bytes.fromhex(addr.decode()), int(plen, 16), scope_v))
    return out


def host_interfaces() -> list[link.Interface]:
    """The host's interfaces now, in index order."""
    out: list[link.Interface] = []
    v6 = _inet6()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for index, text in socket.if_nameindex():
            name = text.encode()
            flags = _ifreq(s, SIOCGIFFLAGS, name)
            if flags is None:
                continue
            mtu = _ifreq(s, SIOCGIFMTU, name)
            hw = _ifreq(s, SIOCGIFHWADDR, name)
            addrs: list[link.Address] = []
            a4 = _ifreq(s, SIOCGIFADDR, name)
            m4 = _ifreq(s, SIOCGIFNETMASK, name)
            if a4 is not None and m4 is not None:
                plen = bin(int.from_bytes(m4[20:24], "big")).count("1")
                scope = link.RT_SCOPE_HOST if a4[20] == 127 else 0
                addrs.append(link.Address(2, a4[20:24], plen, scope))
            addrs += v6.get(name, [])
            hwtype = struct.unpack_from("<H", hw, 16)[0] if hw else 0xFFFF
            running = struct.unpack_from("<H", flags, 16)[0]
            out.append(link.Interface(
                index=index, name=name,
                flags=running | (IFF_LOWER_UP_DEFAULT if running & link.IFF_RUNNING else 0),
                mtu=struct.unpack_from("<i", mtu, 16)[0] if mtu else 1500,
                hwtype=hwtype, hwaddr=hw[18:24] if hw else b"\0" * 6, addrs=tuple(addrs)))
    return out


def use_host_interfaces() -> None:
    interfaces = host_interfaces()
    if interfaces:
        link.INTERFACES[:] = interfaces

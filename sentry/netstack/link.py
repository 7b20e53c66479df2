"""The sandbox's network interfaces, as netlink and the SIOCGIF* ioctls show them.

With --network=none there is one: `lo` (index 1), 127.0.0.1/8 and ::1/128, MTU 65536,
as a fresh network namespace's loopback after `ip link set lo up`.
"""

from __future__ import annotations

from sentry.record import dataclass, field

IFF_UP, IFF_BROADCAST, IFF_LOOPBACK, IFF_RUNNING = 0x1, 0x2, 0x8, 0x40
IFF_LOWER_UP = 0x10000
ARPHRD_LOOPBACK = 772
RT_SCOPE_HOST = 254


@dataclass(frozen=True)
class Address:
    family: int  # AF_INET or AF_INET6
    addr: bytes  # 4 or 16 bytes
    prefixlen: int
    scope: int = RT_SCOPE_HOST


@dataclass(frozen=True)
class Interface:
    index: int
    name: bytes
    flags: int
    mtu: int
    hwtype: int
    hwaddr: bytes = b"\0" * 6
    addrs: tuple[Address, ...] = field(default=())


LO = Interface(
    index=1, name=b"lo", flags=IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP,
    mtu=65536, hwtype=ARPHRD_LOOPBACK,
    addrs=(Address(2, b"\x7f\0\0\1", 8), Address(10, b"\0" * 15 + b"\1", 128)),
)

INTERFACES: list[Interface] = [LO]


def by_name(name: bytes) -> Interface | None:
    for i in INTERFACES:
        if i.name == name:
            return i
    return None


def by_index(index: int) -> Interface | None:
    for i in INTERFACES:
        if i.index == index:
            return i
    return None


def netmask(prefixlen: int, size: int) -> bytes:
    bits = (1 << (size * 8)) - (1 << (size * 8 - prefixlen)) if prefixlen else 0
    return bits.to_bytes(size, "big")

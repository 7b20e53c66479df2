"""AF_NETLINK, NETLINK_ROUTE only: link and address dumps of the sandbox's interfaces.

Enough for getifaddrs(), if_nameindex(), `ip link` and `ip addr`: RTM_GETLINK and
RTM_GETADDR (dump, or one link by index/name) answer RTM_NEWLINK/RTM_NEWADDR records then
NLMSG_DONE; anything else is answered with an NLMSG_ERROR (EOPNOTSUPP), and an
NLM_F_ACK request with an ack. Each request's answer is one datagram, as a dump of a few
interfaces is in Linux. Nothing here can change the network (RTM_NEW*: EPERM).
"""

from __future__ import annotations

import itertools
import struct
from typing import Any

from sentry.abi.errno import (
    EAGAIN, EINVAL, ENODEV, ENOPROTOOPT, EOPNOTSUPP, EPERM, EPROTONOSUPPORT,
    ESOCKTNOSUPPORT,
)
from sentry.kernel.waiter import POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM
from sentry.netstack import link
from sentry.netstack.buffer import MessageQueue
from sentry.netstack.socket import (
    AF_NETLINK, MSG_PEEK, SOCK_DGRAM, SOCK_RAW, SOL_NETLINK, Control, Received, Socket,
    int_opt,
)

NETLINK_ROUTE = 0
NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE = 1, 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 1, 2, 4, 0x300
RTM_NEWLINK, RTM_GETLINK, RTM_NEWADDR, RTM_GETADDR = 16, 18, 20, 22
IFLA_ADDRESS, IFLA_BROADCAST, IFLA_IFNAME, IFLA_MTU, IFLA_QDISC, IFLA_STATS = 1, 2, 3, 4, 6, 7
IFLA_TXQLEN, IFLA_OPERSTATE, IFLA_LINKMODE, IFLA_GROUP = 13, 16, 17, 27
IFA_ADDRESS, IFA_LOCAL, IFA_LABEL, IFA_BROADCAST, IFA_CACHEINFO, IFA_FLAGS = 1, 2, 3, 4, 6, 8
IFA_F_PERMANENT = 0x80
_HDR = struct.Struct("<IHHII")
_NL_ADDR = struct.Struct("<HHII")
_ports = itertools.count(1 << 20)
# NETLINK_* options a client may set (ext ack, strict checking …): accepted and kept.
_NL_OPTS = frozenset(range(1, 13))


def _align(n: int) -> int:
    return (n + 3) & ~3


def _attr(kind: int, data: bytes) -> bytes:
    rec = struct.pack("<HH", 4 + len(data), kind) + data
    return rec + b"\0" * (_align(len(rec)) - len(rec))


def _msg(kind: int, flags: int, seq: int, pid: int, body: bytes) -> bytes:
    return _HDR.pack(_HDR.size + len(body), kind, flags, seq, pid) + body


def link_record(i: link.Interface) -> bytes:
    body = struct.pack("<BBHiII", 0, 0, i.hwtype, i.index, i.flags, 0)
    body += _attr(IFLA_IFNAME, i.name + b"\0")
    body += _attr(IFLA_TXQLEN, struct.pack("<I", 1000))
    body += _attr(IFLA_OPERSTATE, bytes([_operstate(i)]))
    body += _attr(IFLA_LINKMODE, b"\0")
    body += _attr(IFLA_MTU, struct.pack("<I", i.mtu))
    body += _attr(IFLA_GROUP, struct.pack("<I", 0))
    body += _attr(IFLA_QDISC, b"noqueue\0")
    body += _attr(IFLA_ADDRESS, i.hwaddr)
    ether = i.hwtype == 1
    body += _attr(IFLA_BROADCAST, (b"\xff" if ether else b"\0") * len(i.hwaddr))
    body += _attr(IFLA_STATS, bytes(96))
    return body


def _operstate(i: link.Interface) -> int:
    """IF_OPER_UNKNOWN for lo (as Linux says), else UP or DOWN by IFF_RUNNING."""
    if i.flags & link.IFF_LOOPBACK:
        return 0
    return 6 if i.flags & link.IFF_RUNNING else 2


def addr_records(i: link.Interface, family: int) -> list[bytes]:
    out = []
    for a in i.addrs:
        if family and a.family != family:
            continue
        body = struct.pack("<BBBBI", a.family, a.prefixlen, IFA_F_PERMANENT, a.scope, i.index)
        body += _attr(IFA_ADDRESS, a.addr)
        if a.family == 2:
            body += _attr(IFA_LOCAL, a.addr)
            if a.prefixlen < 31 and not i.flags & link.IFF_LOOPBACK:
                host_bits = (1 << (32 - a.prefixlen)) - 1
                brd = int.from_bytes(a.addr, "big") | host_bits
                body += _attr(IFA_BROADCAST, brd.to_bytes(4, "big"))
            body += _attr(IFA_LABEL, i.name + b"\0")
        body += _attr(IFA_FLAGS, struct.pack("<I", IFA_F_PERMANENT))
        body += _attr(IFA_CACHEINFO, struct.pack("<IIII", 0xFFFFFFFF, 0xFFFFFFFF, 0, 0))
        out.append(body)
    return out


class NetlinkSocket(Socket):
    """A NETLINK_ROUTE socket: requests in, answers queued as datagrams."""

    family = AF_NETLINK

    def __init__(self, stype: int, protocol: int, nonblock: bool) -> None:
        super().__init__(stype, protocol, nonblock)
        self.port = 0
        self.rx = MessageQueue(self.rcvbuf)
        self.nl_opts: dict[int, int] = {}

    def _sockaddr(self, port: int) -> bytes:
        return _NL_ADDR.pack(AF_NETLINK, 0, port, 0)

    def bind(self, t: Any, raw: bytes) -> None:
        if len(raw) < _NL_ADDR.size:
            raise EINVAL()
        fam, _, port, groups = _NL_ADDR.unpack_from(raw)
        if fam != AF_NETLINK:
            raise EINVAL()
        if self.port and port and port != self.port:
            raise EINVAL()
        self.port = self.port or port or next(_ports)

    def connect(self, t: Any, raw: bytes) -> None:
        if len(raw) < _NL_ADDR.size:
            raise EINVAL()
        self.port = self.port or next(_ports)

    def getsockname(self) -> bytes:
        return self._sockaddr(self.port)

    def getpeername(self) -> bytes:
        return self._sockaddr(0)

    def sendmsg(self, t: Any, data: bytes, flags: int, addr: bytes | None,
                control: Control | None) -> int:
        if control is not None:
            control.drop()
        if not self.port:
            self.port = next(_ports)
        pos = 0
        while pos + _HDR.size <= len(data):
            length, kind, nl_flags, seq, _ = _HDR.unpack_from(data, pos)
            if length < _HDR.size or pos + length > len(data):
                break
            self._answer(kind, nl_flags, seq, data[pos + _HDR.size:pos + length])
            pos += _align(length)
        return len(data)

    def _answer(self, kind: int, flags: int, seq: int, body: bytes) -> None:
        if not flags & NLM_F_REQUEST or kind < RTM_NEWLINK:
            return  # Linux ignores non-requests and control messages
        try:
            records = self._records(kind, flags, body)
        except (ENODEV, EOPNOTSUPP, EPERM, EINVAL) as e:
            self._error(-e.errno, seq, kind, flags, body)
            return
        multi = bool(flags & NLM_F_DUMP)
        out = b"".join(_msg(k, NLM_F_MULTI if multi else 0, seq, self.port, b)
                       for k, b in records)
        if multi:
            out += _msg(NLMSG_DONE, NLM_F_MULTI, seq, self.port, struct.pack("<i", 0))
        elif flags & NLM_F_ACK:
            out += self._ack(0, seq, kind, flags, body)
        self._queue(out)

    def _records(self, kind: int, flags: int, body: bytes) -> list[tuple[int, bytes]]:
        if kind == RTM_GETLINK:
            if flags & NLM_F_DUMP:
                return [(RTM_NEWLINK, link_record(i)) for i in link.INTERFACES]
            index = struct.unpack_from("<i", body, 4)[0] if len(body) >= 8 else 0
            i = link.by_index(index) if index else _by_name_attr(body[16:])
            if i is None:
                raise ENODEV()
            return [(RTM_NEWLINK, link_record(i))]
        if kind == RTM_GETADDR:
            family = body[0] if body else 0
            return [(RTM_NEWADDR, r) for i in link.INTERFACES for r in addr_records(i, family)]
        if kind % 4 == 0:  # RTM_NEW*: changing the sandbox's network is not allowed
            raise EPERM()
        raise EOPNOTSUPP()

    def _ack(self, err: int, seq: int, kind: int, flags: int, body: bytes) -> bytes:
        orig = _HDR.pack(_HDR.size + len(body), kind, flags, seq, self.port)
        return _msg(NLMSG_ERROR, 0, seq, self.port, struct.pack("<i", err) + orig)

    def _error(self, err: int, seq: int, kind: int, flags: int, body: bytes) -> None:
        self._queue(self._ack(err, seq, kind, flags, body))

    def kernel_message(self, data: bytes) -> None:
        """netlink_sendskb: raw bytes from the kernel (port 0), as mq_notify's SIGEV_THREAD
        cookies arrive."""
        self._queue(data)

    def _queue(self, data: bytes) -> None:
        self.rx.push(data, self._sockaddr(0))
        self.queue.notify(POLLIN | POLLRDNORM)

    def recvmsg(self, t: Any, n: int, flags: int) -> Received:
        if not self.rx.records:
            raise EAGAIN()
        return self.rx.pop(n, bool(flags & MSG_PEEK))

    def readable_bytes(self) -> int:
        return self.rx.first_len()

    def poll_events(self) -> int:
        ev = POLLOUT | POLLWRNORM
        if self.rx.records:
            ev |= POLLIN | POLLRDNORM
        return ev

    def close(self) -> None:
        self.rx.clear()

    def getsockopt_level(self, t: Any, level: int, name: int) -> bytes:
        if level == SOL_NETLINK and name in _NL_OPTS:
            return struct.pack("<i", self.nl_opts.get(name, 0))
        raise ENOPROTOOPT()

    def setsockopt_level(self, t: Any, level: int, name: int, value: bytes) -> None:
        if level == SOL_NETLINK and name in _NL_OPTS:
            self.nl_opts[name] = int_opt(value)
            return
        raise ENOPROTOOPT()


def _by_name_attr(attrs: bytes) -> link.Interface | None:
    pos = 0
    while pos + 4 <= len(attrs):
        length, kind = struct.unpack_from("<HH", attrs, pos)
        if length < 4:
            break
        if kind == IFLA_IFNAME:
            return link.by_name(attrs[pos + 4:pos + length].rstrip(b"\0"))
        pos += _align(length)
    return None


def _create(t: Any, stype: int, protocol: int, nonblock: bool) -> Socket:
    if stype not in (SOCK_RAW, SOCK_DGRAM):
        raise ESOCKTNOSUPPORT()
    if protocol != NETLINK_ROUTE:
        raise EPROTONOSUPPORT()
    return NetlinkSocket(stype, protocol, nonblock)


def register() -> None:
    from sentry.netstack import register as add

    add(AF_NETLINK, _create)

"""UDP over the Sentry's loopback.

A datagram goes to the socket bound to its destination (exact address before wildcard;
a connected receiver only takes datagrams from its peer); a broadcast (with SO_BROADCAST,
else EACCES) to every socket bound to the port. No receiver: a connected sender gets
ECONNREFUSED on its next call (Linux's ICMP port unreachable), an unconnected one
nothing. A full receive queue drops the datagram, as UDP does; sends never block.
"""

from __future__ import annotations

from typing import Any

from sentry.abi.errno import (
    EACCES, EAGAIN, EDESTADDRREQ, EMSGSIZE, ENOTCONN, EOPNOTSUPP, BY_NUMBER,
)
from sentry.kernel.fasync import POLL_ERR, POLL_IN
from sentry.kernel.waiter import POLLERR, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM
from sentry.netstack.buffer import MessageQueue
from sentry.netstack.inet import addr as A
from sentry.netstack.inet import ports
from sentry.netstack.inet.socket import InetSocket
from sentry.netstack.socket import (
    AF_INET, MSG_OOB, MSG_PEEK, RCV_SHUTDOWN, SO_BROADCAST, SOCK_DGRAM, SOL_UDP, Control, Received,
)

MAX_UDP4, MAX_UDP6 = 65507, 65527


class UDPSocket(InetSocket):
    """A UDP socket (SOCK_DGRAM, IPPROTO_UDP) on the loopback."""

    table = ports.UDP

    def __init__(self, family: int, protocol: int = 17, nonblock: bool = False) -> None:
        super().__init__(family, SOCK_DGRAM, protocol, nonblock)
        self.rx = MessageQueue(self.rcvbuf)

    def connect(self, t: Any, raw: bytes) -> None:
        if A.is_unspec(raw):
            self.remote = None
            return
        dst, port = self.parse(raw)
        src = ports.route(dst)
        self.autobind()
        assert self.local is not None
        if A.is_any(self.local[0]):
            self.local = (src, self.local[1])
        self.remote = (ports.connect_target(dst), port)

    def sendmsg(self, t: Any, data: bytes, flags: int, addr: bytes | None,
                control: Control | None) -> int:
        if control is not None:
            control.drop()
        if flags & MSG_OOB:
            raise EOPNOTSUPP()
        if addr:
            dst = self.parse(addr)
        elif self.remote is not None:
            dst = self.remote
        else:
            raise EDESTADDRREQ()
        if self.error:
            raise BY_NUMBER[self.take_error()]()
        if len(data) > (MAX_UDP4 if A.is_v4(dst[0]) else MAX_UDP6):
            raise EMSGSIZE()
        broadcast = A.is_broadcast(dst[0])
        if broadcast and not self.option(SO_BROADCAST):
            raise EACCES()
        src = ports.route(dst[0])
        self.autobind()
        assert self.local is not None
        me = (src if A.is_any(self.local[0]) else self.local[0], self.local[1])
        target = (ports.connect_target(dst[0]), dst[1])
        found = ports.UDP.lookup(target, lambda s: s.remote is None or s.remote == me)
        if not found:
            if addr is None:
                self.error = 111  # ECONNREFUSED, from the port-unreachable answer
                self.queue.notify(POLLERR)
                self.wake_async(POLL_ERR)
            return len(data)
        for s in found if broadcast else found[:1]:
            s.deliver(data, me)
        # On the loopback the datagram's send buffer is freed at once: Linux's sock_wfree
        # wakes the sender's writers (an edge for EPOLLET on POLLOUT).
        self.queue.notify(POLLOUT | POLLWRNORM)
        return len(data)

    def deliver(self, data: bytes, src: A.Endpoint) -> None:
        if self.rx.size + len(data) > self.rcvbuf or self.shutdown_state & RCV_SHUTDOWN:
            return  # dropped, as a full UDP receive queue does
        self.rx.push(data, self.name_of(src))
        self.queue.notify(POLLIN | POLLRDNORM)
        self.wake_async(POLL_IN)

    def recvmsg(self, t: Any, n: int, flags: int) -> Received:
        if self.rx.records:
            return self.rx.pop(n, bool(flags & MSG_PEEK))
        if self.error:
            raise BY_NUMBER[self.take_error()]()
        if self.shutdown_state & RCV_SHUTDOWN:
            return Received(b"", full=0)
        raise EAGAIN()

    def readable_bytes(self) -> int:
        return self.rx.first_len()

    def shutdown(self, how: int) -> None:
        if self.remote is None:
            raise ENOTCONN()
        self.shutdown_state |= how + 1
        self.queue.notify(POLLIN | POLLOUT)

    def listen(self, t: Any, backlog: int) -> None:
        raise EOPNOTSUPP()

    def accept(self, t: Any) -> Any:
        raise EOPNOTSUPP()

    def close(self) -> None:
        self.rx.clear()
        self.unbind()

    def poll_events(self) -> int:
        ev = POLLOUT | POLLWRNORM
        if self.rx.records or self.shutdown_state & RCV_SHUTDOWN:
            ev |= POLLIN | POLLRDNORM
        if self.error:
            ev |= POLLERR
        return ev

    def proto_getsockopt(self, t: Any, level: int, name: int) -> bytes:
        if level == SOL_UDP:
            from sentry.abi.errno import ENOPROTOOPT

            raise ENOPROTOOPT()
        return super().proto_getsockopt(t, level, name)


__all__ = ["AF_INET", "UDPSocket"]

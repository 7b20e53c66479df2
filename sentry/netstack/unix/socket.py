"""AF_UNIX sockets: stream, seqpacket and datagram, entirely in the Sentry (net/unix/af_unix.c).

Connection-oriented sockets (stream, seqpacket): connect makes the server end at once
and queues it on the listener (at most backlog + 1 waiting, else EAGAIN or a wait);
accept takes it. Each end owns its receive queue; a sender writes into the peer's queue
and is held to its SO_SNDBUF of unread bytes there (POLLOUT at a quarter, as Linux's
unix_writable). Close: the peer sees both directions shut (EOF, POLLHUP, EPIPE for
writes), and ECONNRESET once if unread data was thrown away. Datagram sockets deliver
into the target's queue (at most MAX_DGRAM_QLEN records unless the target is connected
back to the sender). Ancillary data (SCM_RIGHTS files, SCM_CREDENTIALS) travels with
the bytes; files in flight hold a reference until received or dropped.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from sentry.abi.errno import (
    EAGAIN, ECONNREFUSED, ECONNRESET, EINVAL, EISCONN, EMSGSIZE, ENOTCONN, EOPNOTSUPP,
    EPERM, EPIPE, EPROTOTYPE, BY_NUMBER,
)
from sentry.kernel.fasync import POLL_HUP, POLL_IN
from sentry.kernel.waiter import (
    POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM,
)
from sentry.netstack.buffer import MessageQueue, StreamQueue
from sentry.netstack.socket import (
    AF_UNIX, AF_UNSPEC, MSG_PEEK, RCV_SHUTDOWN, SEND_SHUTDOWN, SOCK_DGRAM, SOCK_SEQPACKET,
    SOCK_STREAM, SOMAXCONN, Control, Received, Socket, Ucred,
)
from sentry.netstack.unix import names

POLLWRBAND = 0x200
SHUTDOWN_MASK = RCV_SHUTDOWN | SEND_SHUTDOWN
MAX_DGRAM_QLEN = 10  # net.unix.max_dgram_qlen
NOBODY = 65534  # overflowuid: credentials of a message sent without any


class UnixSocket(Socket):
    """One AF_UNIX socket of any of the three types."""

    family = AF_UNIX

    def __init__(self, stype: int, protocol: int = 0, nonblock: bool = False) -> None:
        super().__init__(stype, protocol, nonblock)
        self.name: bytes | None = None
        self.bind_key: Any = None
        self.peer: UnixSocket | None = None
        self.connected = False  # stream/seqpacket: an established pair
        self.listening = False
        self.backlog = 0
        self.pending: deque[UnixSocket] = deque()
        self.rx: StreamQueue | MessageQueue = (
            StreamQueue(self.rcvbuf) if stype == SOCK_STREAM else MessageQueue(self.rcvbuf))
        self.owner = Ucred()  # who made it (write(2) has no task at hand)
        self.my_cred = Ucred()
        self.peer_cred: Ucred | None = None

    @property
    def connection(self) -> bool:
        return self.stype != SOCK_DGRAM

    # --- naming ----------------------------------------------------------------
    def bind(self, t: Any, addr: bytes) -> None:
        name = names.parse(addr)
        if self.name is not None:
            names.check_rebind(t, name)  # a taken path says EADDRINUSE first, as Linux
            raise EINVAL()
        self.name, self.bind_key = names.bind(t, self, name)

    def getsockname(self) -> bytes:
        return names.sockaddr(self.name)

    def _passcred_autobind(self, t: Any) -> None:
        """With SO_PASSCRED an unbound socket gets a name when it connects or sends a
        datagram (Linux's unix_autobind there), so the receiver can name the sender."""
        if self.passcred and self.name is None and t is not None:
            self.name, self.bind_key = names.bind(t, self, b"")

    def getpeername(self) -> bytes:
        peer = self.peer
        if peer is None or (self.connection and not self.connected):
            raise ENOTCONN()
        return names.sockaddr(peer.name)

    def peercred(self) -> Ucred:
        return self.peer_cred or super().peercred()

    # --- connections ------------------------------------------------------------
    def listen(self, t: Any, backlog: int) -> None:
        if not self.connection:
            raise EOPNOTSUPP()
        if self.name is None or self.connected:
            raise EINVAL()
        self.backlog = min(backlog & 0xFFFFFFFF, SOMAXCONN)
        if not self.listening:
            self.listening = True
            self.my_cred = Ucred.of(t)
        self.queue.notify(POLLOUT)  # connectors waiting for room

    def is_listening(self) -> bool:
        return self.listening

    def connect(self, t: Any, addr: bytes) -> None:
        if len(addr) >= 2 and int.from_bytes(addr[:2], "little") == AF_UNSPEC \
                and not self.connection:
            self.peer = None  # a datagram socket's disconnect
            return
        name = names.parse(addr)
        if not name:
            raise EINVAL()
        self._passcred_autobind(t)
        if not self.connection:
            other = names.lookup(t, name)
            self._check_dgram_target(other)
            self.peer = other
            return
        if self.connected:
            raise EISCONN()
        if self.listening:
            raise EINVAL()
        other = names.lookup(t, name)
        if other.stype != self.stype:
            raise EPROTOTYPE()
        if not other.listening or other.closed:
            raise ECONNREFUSED()
        if len(other.pending) > other.backlog:
            self.connect_target = other
            raise EAGAIN()
        self._establish(t, other)

    def _establish(self, t: Any, listener: UnixSocket) -> None:
        server = UnixSocket(self.stype, self.protocol)
        server.name = listener.name
        server.owner = listener.owner
        server.uid, server.gid = listener.uid, listener.gid
        server.my_cred = listener.my_cred
        server.peer_cred = Ucred.of(t)
        server.passcred = listener.passcred
        self.my_cred = Ucred.of(t)
        self.peer_cred = listener.my_cred
        server.peer, self.peer = self, server
        server.connected = self.connected = True
        listener.pending.append(server)
        listener.queue.notify(POLLIN | POLLRDNORM)
        listener.wake_async(POLL_IN)
        self.queue.notify(POLLOUT)

    def connect_source(self) -> Any:
        """What a connect that got EAGAIN waits on: the full listener's queue."""
        target = getattr(self, "connect_target", None)
        return target.queue if target is not None else self.queue

    def accept(self, t: Any) -> UnixSocket:
        if not self.connection:
            raise EOPNOTSUPP()
        if not self.listening:
            raise EINVAL()
        if not self.pending:
            raise EAGAIN()
        server = self.pending.popleft()
        self.queue.notify(POLLOUT)
        return server

    def _check_dgram_target(self, other: UnixSocket) -> None:
        if other.stype != self.stype:
            raise EPROTOTYPE()
        if other.peer is not None and other.peer is not self and not other.peer.closed:
            raise EPERM()

    # --- data ----------------------------------------------------------------------
    def _creds(self, t: Any, control: Control | None, receiver: UnixSocket) -> Control | None:
        """Attaches the sender's credentials where Linux does (either side SO_PASSCRED)."""
        if control is not None and control.creds is not None:
            return control
        if self.passcred or receiver.passcred:
            cred = Ucred(t.tg.vpid, t.creds.uid, t.creds.gid) if t is not None else self.owner
            if control is None:
                return Control(creds=cred)
            control.creds = cred
        return control

    def sendmsg(self, t: Any, data: bytes, flags: int, addr: bytes | None,
                control: Control | None) -> int:
        if not self.connection:
            return self._send_dgram(t, data, addr, control)
        if addr:
            raise EISCONN() if self.connected else EOPNOTSUPP()
        peer = self.peer
        if not self.connected or peer is None:
            raise ENOTCONN() if self.stype == SOCK_STREAM or not self.shutdown_state \
                else EPIPE()
        if self.shutdown_state & SEND_SHUTDOWN or peer.shutdown_state & RCV_SHUTDOWN \
                or peer.closed:
            raise EPIPE()
        if self.stype == SOCK_SEQPACKET:
            if len(data) > self.sndbuf - 32:
                raise EMSGSIZE()
            if peer.rx.full(len(data)) and peer.rx.size + len(data) > self.sndbuf:
                self.async_nospace = True
                raise EAGAIN()
            peer.rx.push(data, names.sockaddr(self.name) if self.name else b"",
                         self._creds(t, control, peer))
            peer.queue.notify(POLLIN | POLLRDNORM)
            peer.wake_async(POLL_IN)
            return len(data)
        if not data:
            return 0
        room = self.sndbuf - peer.rx.size
        if room <= 0:
            self.async_nospace = True
            raise EAGAIN()
        chunk = data[:room]
        peer.rx.push(chunk, self._creds(t, control, peer))
        peer.queue.notify(POLLIN | POLLRDNORM)
        peer.wake_async(POLL_IN)
        return len(chunk)

    def _send_dgram(self, t: Any, data: bytes, addr: bytes | None,
                    control: Control | None) -> int:
        if addr:
            name = names.parse(addr)
            if not name:
                raise EINVAL()  # a bare sa_family names nothing to send to
            self._passcred_autobind(t)
            target = names.lookup(t, name)
            self._check_dgram_target(target)
        else:
            self._passcred_autobind(t)
            target = self.peer
            if target is None:
                raise ENOTCONN()
        if target.closed:
            if target is self.peer:
                self.peer = None
            raise ECONNREFUSED()
        if self.shutdown_state & SEND_SHUTDOWN:
            raise EPIPE()
        if len(data) > self.sndbuf - 32:
            raise EMSGSIZE()
        if target.shutdown_state & RCV_SHUTDOWN:
            raise EPERM()  # Linux: a datagram to a receiver that shut down reading
        if self._target_full(target, len(data)):
            raise EAGAIN()
        src = names.sockaddr(self.name) if self.name else b""
        target.rx.push(data, src, self._creds(t, control, target), self)
        target.queue.notify(POLLIN | POLLRDNORM)
        target.wake_async(POLL_IN)
        return len(data)

    def _target_full(self, target: UnixSocket, n: int) -> bool:
        if target is self:
            return target.rx.full(n)
        if target.peer is not self and len(target.rx) > MAX_DGRAM_QLEN:
            return True
        return target.rx.full(n)

    def recvmsg(self, t: Any, n: int, flags: int) -> Received:
        peek = bool(flags & MSG_PEEK)
        if self.stype == SOCK_STREAM:
            return self._recv_stream(n, peek)
        if self.listening or (self.stype == SOCK_SEQPACKET and not self.connected
                              and not self.shutdown_state):
            raise EINVAL() if self.listening else ENOTCONN()
        rx = self.rx
        assert isinstance(rx, MessageQueue)
        if not rx.records:
            err = self.take_error()
            if err:
                raise _errno(err)
            if self.shutdown_state & RCV_SHUTDOWN:
                return Received(b"", full=0)
            raise EAGAIN()
        sender = rx.records[0][3]
        got = rx.pop(n, peek)
        writer = self.peer if self.connection else sender
        if not peek and writer is not None:
            writer.queue.notify(POLLOUT | POLLWRNORM)
            if writer.poll_events() & POLLOUT:
                writer.write_space()
        if self.connection:
            got.addr = b""
        return got

    def _recv_stream(self, n: int, peek: bool) -> Received:
        if not self.connected:
            raise EINVAL()
        rx = self.rx
        assert isinstance(rx, StreamQueue)
        if not rx.size:
            err = self.take_error()
            if err:
                raise _errno(err)
            if self.shutdown_state & RCV_SHUTDOWN:
                return Received(b"")
            if n == 0:
                return Received(b"")
            raise EAGAIN()
        segments = len(rx.segments)
        data, control = rx.pop(n, peek)
        if self.peer is not None and len(rx.segments) < segments:
            # A sent chunk read whole frees its buffer: only that wakes the writers (an
            # edge for EPOLLET on POLLOUT), as Linux's unix_write_space at skb free.
            self.peer.queue.notify(POLLOUT | POLLWRNORM)
            if self.peer.poll_events() & POLLOUT:
                self.peer.write_space()
        return Received(data, b"", control)

    def readable_bytes(self) -> int:
        if self.stype == SOCK_STREAM:
            return self.rx.size
        assert isinstance(self.rx, MessageQueue)
        return self.rx.first_len()

    # --- shutdown and close ----------------------------------------------------
    def shutdown(self, how: int) -> None:
        mask = how + 1  # SHUT_RD 0 → RCV, SHUT_WR 1 → SEND, SHUT_RDWR 2 → both
        self.shutdown_state |= mask
        self.queue.notify(POLLIN | POLLOUT | POLLHUP)
        peer = self.peer
        if peer is not None and self.connection:
            peer_mask = (SEND_SHUTDOWN if mask & RCV_SHUTDOWN else 0) | \
                (RCV_SHUTDOWN if mask & SEND_SHUTDOWN else 0)
            peer.shutdown_state |= peer_mask
            peer.queue.notify(POLLIN | POLLOUT | POLLHUP)
            if peer_mask == SHUTDOWN_MASK:
                peer.wake_async(POLL_HUP)
            elif peer_mask & RCV_SHUTDOWN:
                peer.wake_async(POLL_IN)

    def close(self) -> None:
        if self.bind_key is not None:
            names.unbind(self.bind_key, self)
        unread = bool(self.rx.size or (isinstance(self.rx, MessageQueue) and len(self.rx)))
        self.rx.clear()
        self.shutdown_state = SHUTDOWN_MASK
        while self.pending:
            server = self.pending.popleft()
            server.closed = True
            server.close()
            unread = True
        self.listening = False
        peer = self.peer
        if peer is not None and self.connection and peer.peer is self:
            peer.shutdown_state = SHUTDOWN_MASK
            if unread:
                peer.error = ECONNRESET.errno
            peer.queue.notify(POLLIN | POLLOUT | POLLHUP | POLLRDHUP)
            peer.wake_async(POLL_HUP)
        self.peer = None
        self.queue.notify(POLLIN | POLLOUT | POLLHUP)

    # --- readiness -------------------------------------------------------------------
    def poll_events(self) -> int:
        if self.listening:
            return POLLIN | POLLRDNORM if self.pending else 0
        ev = 0
        if self.error:
            ev |= POLLERR
        if self.shutdown_state == SHUTDOWN_MASK:
            ev |= POLLHUP
        if self.shutdown_state & RCV_SHUTDOWN:
            ev |= POLLIN | POLLRDNORM | POLLRDHUP
        if self.rx.size or (isinstance(self.rx, MessageQueue) and len(self.rx)):
            ev |= POLLIN | POLLRDNORM
        if self.connection and not self.connected:
            ev |= POLLHUP
        if self._writable():
            ev |= POLLOUT | POLLWRNORM | POLLWRBAND
        return ev

    def _writable(self) -> bool:
        peer = self.peer
        if self.connection:
            inflight = peer.rx.size if peer is not None and self.connected else 0
            return inflight * 4 <= self.sndbuf
        if peer is not None and not peer.closed and peer.peer is not self:
            if len(peer.rx) > MAX_DGRAM_QLEN:
                return False
        return True


def _errno(err: int) -> Exception:
    return BY_NUMBER[err]()


def socketpair(t: Any, stype: int, protocol: int, nonblock: bool) -> tuple[UnixSocket, UnixSocket]:
    """Two connected sockets (socketpair(2)); credentials are the caller's on both ends."""
    a = UnixSocket(stype, protocol, nonblock)
    b = UnixSocket(stype, protocol, nonblock)
    cred = Ucred.of(t)
    for s in (a, b):
        s.owner = s.my_cred = s.peer_cred = cred
    a.peer, b.peer = b, a
    if stype != SOCK_DGRAM:
        a.connected = b.connected = True
    return a, b


__all__ = ["UnixSocket", "socketpair"]

"""TCP over the Sentry's loopback: a connection is two receive queues joined end to end.

States kept from Linux's TCP, as programs observe them: a connect to a listener with
room in its accept queue (backlog + 1) is established at once; beyond that the connector
stays in SYN_SENT (connect waits; non-blocking: EINPROGRESS, EALREADY again) until accept
makes room. No listener: ECONNREFUSED (non-blocking: EINPROGRESS, then SO_ERROR). Close
sends FIN (the peer reads EOF, POLLRDHUP; its next send is answered by RST: that send
succeeds, the one after says EPIPE), or RST if unread data was thrown away or SO_LINGER
is on with 0 (the peer reads what it had, then ECONNRESET). shutdown(SHUT_WR) is a FIN.
Windows: a sender may have `capacity` unread bytes at the peer (EAGAIN beyond).
TCP_CORK and MSG_MORE hold a partial segment back (`held`): full segments (MSS) go out,
the rest when the cork is pulled, TCP_NODELAY is set, a send without MSG_MORE comes
uncorked, at FIN, or 200 ms later (Linux's ceiling); a RST throws it away.
MSG_OOB marks the last byte sent urgent (urgent.py keeps the receiver's mark).

Differences: a connector waiting on a full backlog is established as soon as accept makes
room (Linux: at its next SYN retransmission, a second or more later); TCP_INFO reports
the state only; urgent data sends no SIGURG, and MSG_WAITALL does not stop at the mark.
"""

from __future__ import annotations

import struct
from collections import deque
from typing import Any

from sentry.abi.errno import (
    EAGAIN, EALREADY, ECONNABORTED, ECONNREFUSED, ECONNRESET, EINPROGRESS, EINVAL,
    EISCONN, ENOPROTOOPT, ENOTCONN, EPIPE, BY_NUMBER, SysError,
)
from sentry.kernel.fasync import POLL_ERR, POLL_HUP, POLL_IN, POLL_OUT, send_sigurg
from sentry.kernel.waiter import (
    POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, POLLRDHUP, POLLRDNORM, POLLWRNORM,
)
from sentry.netstack.buffer import StreamQueue
from sentry.netstack.inet import addr as A
from sentry.netstack.inet import ports
from sentry.netstack.inet.socket import InetSocket
from sentry.netstack.inet.urgent import VALID as URG_VALID
from sentry.netstack.inet.urgent import Urgent
from sentry.netstack.socket import (
    MSG_MORE, MSG_OOB, MSG_PEEK, MSG_TRUNC, RCV_SHUTDOWN, SEND_SHUTDOWN, SO_OOBINLINE,
    SOCK_STREAM, SOL_TCP, SOMAXCONN, Control, Received, int_opt,
)

CLOSED, LISTEN, SYN_SENT, ESTABLISHED = "closed", "listen", "syn_sent", "established"
SHUTDOWN_MASK = RCV_SHUTDOWN | SEND_SHUTDOWN
WINDOW = 1 << 20  # unread bytes a sender may queue at its peer (loopback autotuning)
TCP_NODELAY, TCP_MAXSEG, TCP_CORK, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT = 1, 2, 3, 4, 5, 6
TCP_SYNCNT, TCP_LINGER2, TCP_DEFER_ACCEPT, TCP_WINDOW_CLAMP, TCP_INFO = 7, 8, 9, 10, 11
TCP_QUICKACK, TCP_CONGESTION, TCP_USER_TIMEOUT, TCP_FASTOPEN, TCP_NOTSENT_LOWAT = \
    12, 13, 18, 23, 25
_TCP_DEFAULTS = {
    TCP_NODELAY: 0, TCP_CORK: 0, TCP_KEEPIDLE: 7200, TCP_KEEPINTVL: 75, TCP_KEEPCNT: 9,
    TCP_SYNCNT: 6, TCP_LINGER2: 60, TCP_DEFER_ACCEPT: 0, TCP_WINDOW_CLAMP: 0,
    TCP_QUICKACK: 1, TCP_USER_TIMEOUT: 0, TCP_FASTOPEN: 0, TCP_NOTSENT_LOWAT: 0,
}
_TCPI_STATE = {ESTABLISHED: 1, SYN_SENT: 2, CLOSED: 7, LISTEN: 10}
SIOCATMARK = 0x8905
MSS = 65483  # loopback: MTU 65536 less the IP and TCP headers
CORK_CEILING = 0.2  # seconds a corked partial segment waits at most (TCP_CORK(7))


class TCPSocket(InetSocket):
    """A TCP socket (SOCK_STREAM, IPPROTO_TCP) on the loopback."""

    table = ports.TCP

    def __init__(self, family: int, protocol: int = 6, nonblock: bool = False,
                 timers: Any = None) -> None:
        super().__init__(family, SOCK_STREAM, protocol, nonblock)
        self.timers = timers  # the kernel's Timers: the cork ceiling (None: no ceiling)
        self.held = bytearray()  # corked bytes not sent yet
        # A send or a poll found no room (Linux's SOCK_NOSPACE): the peer's next read
        # wakes our writers then, and only then (an edge for EPOLLET on POLLOUT).
        self.nospace = False
        self.urg = Urgent()  # the urgent mark in rx
        self.cork_timer: Any = None
        self.state = CLOSED
        self.sock_state = "unconnected"  # the socket layer's view (connect's answers)
        self.peer: TCPSocket | None = None
        self.rx = StreamQueue(WINDOW)
        self.accept_q: deque[TCPSocket] = deque()
        self.syn_q: deque[TCPSocket] = deque()
        self.listener: TCPSocket | None = None  # while in SYN_SENT
        self.backlog = 0
        self.done = False  # a FIN came in (Linux's SOCK_DONE)
        self.peer_gone = False  # the peer closed: our next segment draws a RST
        self.explicit_bind = False
        self.tcp_opts: dict[int, int] = {}

    # --- listening -----------------------------------------------------------------
    def listen(self, t: Any, backlog: int) -> None:
        if self.state not in (CLOSED, LISTEN) or self.sock_state != "unconnected":
            raise EINVAL()
        self.autobind()
        self.backlog = min(backlog & 0xFFFFFFFF, SOMAXCONN)
        if self.state == CLOSED:
            from sentry.abi.errno import EADDRINUSE

            for o in self.table.ports.get(self.local[1], ()):
                if o is not self and o.is_listening() \
                        and self.table._conflicts(self, self.local[0], o):
                    raise EADDRINUSE()
            self.state = LISTEN
        self._promote()

    def is_listening(self) -> bool:
        return self.state == LISTEN

    def accept(self, t: Any) -> TCPSocket:
        if self.state != LISTEN:
            raise EINVAL()
        if not self.accept_q:
            raise EAGAIN()
        child = self.accept_q.popleft()
        self._promote()
        return child

    def _promote(self) -> None:
        """Establishes waiting connectors while the accept queue has room."""
        while self.syn_q and len(self.accept_q) <= self.backlog:
            client = self.syn_q.popleft()
            if client.state == SYN_SENT:
                self._establish(client)

    def _establish(self, client: TCPSocket) -> None:
        child = TCPSocket(self.family, self.protocol, timers=self.timers)
        child.uid, child.gid = self.uid, self.gid
        child.rcvbuf, child.sndbuf = self.rcvbuf, self.sndbuf
        child.bool_opts = dict(self.bool_opts)
        child.tcp_opts = dict(self.tcp_opts)
        child.v6only = self.v6only
        assert client.remote is not None and client.local is not None
        child.local, child.remote = client.remote, client.local
        child.state = client.state = ESTABLISHED
        child.sock_state = "connected"
        child.peer, client.peer = client, child
        client.listener = None
        self.accept_q.append(child)
        self.queue.notify(POLLIN | POLLRDNORM)
        self.wake_async(POLL_IN)
        client.queue.notify(POLLOUT | POLLWRNORM)

    # --- connecting ----------------------------------------------------------------
    def connect(self, t: Any, raw: bytes) -> None:
        if self.sock_state == "connected":
            raise EISCONN()
        if self.sock_state == "connecting":
            self._connect_result(again=True)
            return
        if self.state != CLOSED:
            raise EISCONN()
        if A.is_unspec(raw):
            return
        dst, port = self.parse(raw)
        src = ports.route(dst)
        target = ports.connect_target(dst)
        self.autobind()
        assert self.local is not None
        if A.is_any(self.local[0]):
            self.local = (src, self.local[1])
        self.remote = (target, port)
        found = ports.TCP.lookup((target, port), lambda s: s.state == LISTEN)
        if not found:
            self._refused()
            if self.nonblocking:
                self.sock_state = "connecting"
                raise EINPROGRESS()
            self.take_error()
            self.shutdown_state = 0  # Linux disconnects a socket whose connect failed
            raise ECONNREFUSED()
        listener = found[0]
        self.state = SYN_SENT
        self.listener = listener
        listener.syn_q.append(self)
        listener._promote()
        self.sock_state = "connecting"
        if self.nonblocking:
            raise EINPROGRESS()
        self._connect_result(again=False)

    def _refused(self) -> None:
        self.error = ECONNREFUSED.errno
        self.state = CLOSED
        self.shutdown_state = SHUTDOWN_MASK
        if not self.explicit_bind:
            self.unbind()
        self.queue.notify(POLLIN | POLLOUT | POLLERR | POLLHUP)
        self.wake_async(POLL_ERR)

    def _connect_result(self, again: bool) -> None:
        if self.state == ESTABLISHED:
            self.sock_state = "connected"
            return
        if self.state == SYN_SENT:
            raise EALREADY() if again else EAGAIN()
        self.sock_state = "unconnected"
        self.shutdown_state = 0
        err = self.take_error()
        raise BY_NUMBER[err]() if err else ECONNABORTED()

    def connect_continue(self, t: Any, raw: bytes) -> None:
        self._connect_result(again=False)

    def connect_timeout_error(self) -> type[SysError]:
        return EINPROGRESS

    # --- data ------------------------------------------------------------------------
    def sendmsg(self, t: Any, data: bytes, flags: int, addr: bytes | None,
                control: Control | None) -> int:
        if control is not None:
            control.drop()
        if self.state == SYN_SENT:
            raise EAGAIN()
        if self.error:
            raise BY_NUMBER[self.take_error()]()
        if self.state != ESTABLISHED or self.shutdown_state & SEND_SHUTDOWN:
            raise EPIPE()
        if not data:
            return 0
        peer = self.peer
        if self.peer_gone or peer is None:
            self._reset_by_peer(EPIPE.errno)  # the data went out and drew a RST
            return len(data)
        room = peer.rx.capacity - peer.rx.size - len(self.held)
        if room <= 0:
            self.nospace = True
            raise EAGAIN()
        chunk = data[:room] if room < len(data) else data
        if flags & MSG_OOB:  # pushed at once, its last byte urgent
            self.held += chunk
            self._flush()
            peer.urg.arrive(peer.rx.size - 1, chunk[-1])
            peer.queue.notify(POLLPRI)
            send_sigurg(peer)
        elif self.tcp_opts.get(TCP_CORK) or flags & MSG_MORE:
            self._hold(peer, chunk)
        elif self.held:
            self.held += chunk
            self._flush()
        else:
            peer.rx.push(chunk)
            peer.queue.notify(POLLIN | POLLRDNORM)
            peer.wake_async(POLL_IN)
        return len(chunk)

    # --- corking ---------------------------------------------------------------------
    def _hold(self, peer: TCPSocket, chunk: bytes) -> None:
        """Queues corked bytes: whole segments go out now, the rest waits."""
        self.held += chunk
        full = len(self.held) - len(self.held) % MSS
        if full:
            peer.rx.push(bytes(self.held[:full]))
            del self.held[:full]
            peer.queue.notify(POLLIN | POLLRDNORM)
            peer.wake_async(POLL_IN)
        if self.held and self.cork_timer is None and self.timers is not None:
            self.cork_timer = self.timers.add(self.timers.clock() + CORK_CEILING,
                                              self._cork_expired)

    def _cork_expired(self) -> None:
        self.cork_timer = None
        self._flush()

    def _flush(self) -> None:
        """Sends the held bytes (if the connection still stands)."""
        if self.cork_timer is not None:
            self.timers.cancel(self.cork_timer)
            self.cork_timer = None
        if not self.held:
            return
        data, self.held = bytes(self.held), bytearray()
        peer = self.peer
        if self.state != ESTABLISHED:
            return
        if self.peer_gone or peer is None:
            self._reset_by_peer(EPIPE.errno)
            return
        peer.rx.push(data)
        peer.queue.notify(POLLIN | POLLRDNORM)
        peer.wake_async(POLL_IN)

    def _drop_held(self) -> None:
        if self.cork_timer is not None:
            self.timers.cancel(self.cork_timer)
            self.cork_timer = None
        self.held.clear()

    def recvmsg(self, t: Any, n: int, flags: int) -> Received:
        if self.state == LISTEN:
            raise ENOTCONN()
        if flags & MSG_OOB:
            return self._recv_urgent(n, flags)
        if self.rx.size:
            data = self._take(n, bool(flags & MSG_PEEK))
            if data or n <= 0:
                return Received(data)  # (else only a skipped urgent byte was there)
        if self.done:
            return Received(b"")
        if self.error:
            raise BY_NUMBER[self.take_error()]()
        if self.shutdown_state & RCV_SHUTDOWN:
            return Received(b"")
        if self.state == CLOSED:
            raise ENOTCONN()
        if n == 0:
            return Received(b"")
        raise EAGAIN()

    def _take(self, n: int, peek: bool) -> bytes:
        """A normal read: stops at the urgent mark, skips the urgent byte at the head."""
        n, skip = self.urg.plan(n, bool(self.option(SO_OOBINLINE)))
        data, _ = self.rx.pop(n + skip, peek)
        data = data[skip:]
        if not peek:
            self.urg.consumed(len(data) + skip)
            peer = self.peer
            if peer is not None and peer.nospace:
                peer.nospace = False
                peer.queue.notify(POLLOUT | POLLWRNORM)
                peer.wake_async(POLL_OUT)
        return data

    def _recv_urgent(self, n: int, flags: int) -> Received:
        byte = self.urg.take(bool(flags & MSG_PEEK), bool(self.option(SO_OOBINLINE)))
        if byte is None:
            raise EINVAL()
        if n <= 0:
            return Received(b"", flags=MSG_OOB | MSG_TRUNC)
        return Received(bytes([byte]), flags=MSG_OOB)

    def readable_bytes(self) -> int:
        if self.state == LISTEN:
            raise EINVAL()
        return self.urg.inq(self.rx.size, bool(self.option(SO_OOBINLINE)))

    def ioctl(self, t: Any, cmd: int, arg: int) -> int:
        if cmd == SIOCATMARK:
            t.mem.write_i32(arg, self.urg.at_mark())
            return 0
        return super().ioctl(t, cmd, arg)

    def unsent_bytes(self) -> int:
        return len(self.held)

    # --- teardown ------------------------------------------------------------------------
    def shutdown(self, how: int) -> None:
        mask = how + 1
        if self.state == LISTEN and mask & RCV_SHUTDOWN:
            self._stop_listening()
            return
        if self.state not in (ESTABLISHED, SYN_SENT):
            raise ENOTCONN()
        self.shutdown_state |= mask
        if mask & SEND_SHUTDOWN:
            self._flush()
        if mask & SEND_SHUTDOWN and self.peer is not None:
            self._send_fin(self.peer)
        self.queue.notify(POLLIN | POLLOUT | POLLRDHUP)

    @staticmethod
    def _send_fin(peer: TCPSocket) -> None:
        peer.shutdown_state |= RCV_SHUTDOWN
        peer.done = True
        peer.queue.notify(POLLIN | POLLRDNORM | POLLRDHUP)
        # tcp_fin's news, then tcp_data_queue's data-ready for the FIN's segment
        peer.wake_async(POLL_HUP if peer.shutdown_state == SHUTDOWN_MASK else POLL_IN)
        peer.wake_async(POLL_IN)

    def _reset_by_peer(self, err: int) -> None:
        self._drop_held()
        self.error = err
        self.state = CLOSED
        self.shutdown_state = SHUTDOWN_MASK
        self.peer = None
        self.queue.notify(POLLIN | POLLOUT | POLLERR | POLLHUP)
        self.wake_async(POLL_ERR)

    def _stop_listening(self) -> None:
        for child in self.accept_q:
            child.closed = True
            child.close(reset=True)
        self.accept_q.clear()
        for client in self.syn_q:
            if client.state == SYN_SENT:
                client._refused()
        self.syn_q.clear()
        self.state = CLOSED

    def close(self, reset: bool = False) -> None:
        if self.state == LISTEN:
            self._stop_listening()
        elif self.state == SYN_SENT and self.listener is not None:
            if self in self.listener.syn_q:
                self.listener.syn_q.remove(self)
        peer = self.peer
        if peer is not None and self.state == ESTABLISHED:
            if reset or self.rx.size or self.linger == (1, 0):
                self._drop_held()
                peer._reset_by_peer(ECONNRESET.errno)
            else:
                self._flush()
                if not self.shutdown_state & SEND_SHUTDOWN:
                    self._send_fin(peer)
                peer.peer_gone = True
                peer.peer = None
        self._drop_held()
        self.urg = Urgent()
        self.rx.clear()
        self.peer = None
        self.state = CLOSED
        self.unbind()

    # --- readiness (tcp_poll) ----------------------------------------------------------
    def poll_events(self) -> int:
        if self.state == LISTEN:
            return POLLIN | POLLRDNORM if self.accept_q else 0
        ev = POLLERR if self.error else 0
        if self.shutdown_state == SHUTDOWN_MASK or self.state == CLOSED:
            ev |= POLLHUP
        if self.shutdown_state & RCV_SHUTDOWN:
            ev |= POLLIN | POLLRDNORM | POLLRDHUP
        if self.state != SYN_SENT:
            if self.rx.size > self.urg.hole(bool(self.option(SO_OOBINLINE))):
                ev |= POLLIN | POLLRDNORM
            if self.urg.state == URG_VALID:
                ev |= POLLPRI
            peer = self.peer
            if self.shutdown_state & SEND_SHUTDOWN or peer is None \
                    or peer.rx.size + len(self.held) < peer.rx.capacity:
                ev |= POLLOUT | POLLWRNORM
            else:
                self.nospace = True
        return ev

    # --- TCP options -------------------------------------------------------------------
    def proto_getsockopt(self, t: Any, level: int, name: int) -> bytes:
        if level != SOL_TCP:
            return super().proto_getsockopt(t, level, name)
        if name == TCP_MAXSEG:
            return struct.pack("<i", 65483 if self.state == ESTABLISHED else 536)
        if name == TCP_CONGESTION:
            return b"cubic".ljust(16, b"\0")
        if name == TCP_INFO:
            return bytes([_TCPI_STATE[self.state]]) + bytes(231)
        if name in _TCP_DEFAULTS:
            return struct.pack("<i", self.tcp_opts.get(name, _TCP_DEFAULTS[name]))
        raise ENOPROTOOPT()

    def proto_setsockopt(self, t: Any, level: int, name: int, value: bytes) -> None:
        if level != SOL_TCP:
            super().proto_setsockopt(t, level, name, value)
            return
        if name == TCP_CONGESTION:
            if value.rstrip(b"\0") not in (b"cubic", b"reno"):
                from sentry.abi.errno import ENOENT

                raise ENOENT()
            return
        if name == TCP_MAXSEG:
            v = int_opt(value)
            if v and not 88 <= v <= 65535 - 40:
                raise EINVAL()
            return
        if name not in _TCP_DEFAULTS:
            raise ENOPROTOOPT()
        v = int_opt(value)
        if name in (TCP_KEEPIDLE, TCP_KEEPINTVL) and not 1 <= v <= 32767:
            raise EINVAL()
        if name == TCP_KEEPCNT and not 1 <= v <= 127:
            raise EINVAL()
        if name in (TCP_NODELAY, TCP_CORK, TCP_QUICKACK):
            v = int(v != 0)
        self.tcp_opts[name] = v
        if name == TCP_CORK and not v or name == TCP_NODELAY and v:
            self._flush()  # (Linux pushes pending frames on both)


__all__ = ["TCPSocket"]

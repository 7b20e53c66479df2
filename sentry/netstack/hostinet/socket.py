"""A guest socket backed by a host socket of the Sentry (--network=host).

Every host call is non-blocking (the socket is opened SOCK_NONBLOCK and sends add
MSG_DONTWAIT|MSG_NOSIGNAL): EAGAIN goes back to the syscall layer, which parks the task
on the host fd (the loop's epoll set). Host errors become the same errno for the guest;
SIGPIPE is the syscall layer's to send. Options are passed through from a fixed list;
timeouts (SO_RCVTIMEO/SO_SNDTIMEO) and credentials stay in the Sentry.
"""

from __future__ import annotations

import errno as host_errno
import fcntl
import select
import socket
import struct
from typing import Any

from sentry.abi.errno import (
    BY_NUMBER, EAGAIN, EINVAL, ENOPROTOOPT, EPROTONOSUPPORT, ESOCKTNOSUPPORT, EPERM,
    SysError,
)
from sentry.netstack.inet import addr as A
from sentry.netstack.inet.socket import check_port
from sentry.netstack.socket import (
    AF_INET, MSG_DONTWAIT, MSG_MORE, MSG_NOSIGNAL, MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL,
    SO_PASSCRED, SO_PEERCRED, SO_RCVTIMEO, SO_SNDTIMEO, SOCK_DGRAM, SOCK_STREAM, SOL_IP, SOL_IPV6,
    SOL_SOCKET, SOL_TCP, Control, Received, Socket,
)

FIONREAD, SIOCATMARK = 0x541B, 0x8905
_RECV_FLAGS = MSG_PEEK | MSG_TRUNC | MSG_WAITALL | MSG_OOB
# (level, name) pairs passed through to the host socket.
_PASS = {
    SOL_SOCKET: {2, 3, 4, 6, 7, 8, 9, 10, 13, 15, 30, 38, 39},
    SOL_TCP: {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 18, 23, 25},
    SOL_IP: {1, 2, 8, 10, 11},
    SOL_IPV6: {16, 25, 26, 49, 67},
}


def _sys(e: OSError) -> SysError:
    """The guest's errno for a host socket error."""
    return BY_NUMBER.get(e.errno or host_errno.EIO, BY_NUMBER[host_errno.EIO])()


def _host_addr(family: int, raw: bytes) -> Any:
    """A checked guest sockaddr as the tuple Python's socket module takes."""
    a, port = A.parse(family, raw, for_bind=True)
    if family == AF_INET:
        return (socket.inet_ntop(socket.AF_INET, a[12:]), port)
    scope = struct.unpack_from("<I", raw, 24)[0] if len(raw) >= 28 else 0
    return (socket.inet_ntop(socket.AF_INET6, a), port, 0, scope)


def _guest_addr(family: int, addr: Any) -> bytes:
    """A host address tuple as the guest's raw sockaddr."""
    if not addr:
        return b""
    if family == AF_INET:
        return A.sockaddr(AF_INET, (A.V4MAPPED + socket.inet_pton(socket.AF_INET, addr[0]),
                                    addr[1]))
    raw = A.sockaddr(family, (socket.inet_pton(socket.AF_INET6, addr[0].split("%")[0]),
                              addr[1]))
    return raw[:24] + struct.pack("<I", addr[3] if len(addr) > 3 else 0)


class HostSocket(Socket):
    """A TCP or UDP socket whose transport is a host socket the Sentry holds."""

    def __init__(self, sock: socket.socket, family: int, stype: int, protocol: int,
                 nonblock: bool) -> None:
        super().__init__(stype, protocol, nonblock)
        self.family = family
        self.sock = sock
        self.fd = sock.fileno()
        self.connecting = False

    # --- naming and connections ----------------------------------------------------
    def bind(self, t: Any, raw: bytes) -> None:
        addr = _host_addr(self.family, raw)
        check_port(t, addr[1])  # the Sentry is privileged on the host; the guest may not be
        try:
            self.sock.bind(addr)
        except OSError as e:
            raise _sys(e) from None

    def listen(self, t: Any, backlog: int) -> None:
        try:
            self.sock.listen(backlog)
        except OSError as e:
            raise _sys(e) from None

    def is_listening(self) -> bool:
        try:
            return bool(self.sock.getsockopt(SOL_SOCKET, 30))  # SO_ACCEPTCONN
        except OSError:
            return False

    def accept(self, t: Any) -> Socket:
        try:
            fd, _ = self.sock._accept()  # type: ignore[attr-defined]
        except BlockingIOError:
            raise EAGAIN() from None
        except OSError as e:
            raise _sys(e) from None
        child = socket.socket(self.sock.family, self.sock.type, self.sock.proto, fileno=fd)
        child.setblocking(False)
        return HostSocket(child, self.family, self.stype, self.protocol, False)

    def connect(self, t: Any, raw: bytes) -> None:
        if A.is_unspec(raw):
            _disconnect(self.fd)
            return
        r = self.sock.connect_ex(_host_addr(self.family, raw))
        if r == 0:
            return
        if r == host_errno.EINPROGRESS and not self.nonblocking:
            self.connecting = True
            raise EAGAIN()
        raise BY_NUMBER[r]()

    def connect_continue(self, t: Any, addr: bytes) -> None:
        if not self.poll_events() & (select.POLLOUT | select.POLLERR | select.POLLHUP):
            raise EAGAIN()
        self.connecting = False
        err = self.sock.getsockopt(SOL_SOCKET, 4)  # SO_ERROR
        if err:
            _disconnect(self.fd)  # as Linux's blocking connect does when it fails
            raise BY_NUMBER[err]()
        # The host saw a non-blocking connect: one more connect settles its state, so the
        # guest's next connect says EISCONN as after a blocking one.
        try:
            self.sock.connect_ex(self.sock.getpeername())
        except OSError as e:  # reset meanwhile: the guest learns it at its next call
            raise _sys(e) from None

    def connect_source(self) -> Any:
        return self.fd

    def connect_timeout_error(self) -> type[SysError]:
        from sentry.abi.errno import EINPROGRESS

        return EINPROGRESS

    def getsockname(self) -> bytes:
        return _guest_addr(self.family, self.sock.getsockname())

    def getpeername(self) -> bytes:
        try:
            return _guest_addr(self.family, self.sock.getpeername())
        except OSError as e:
            raise _sys(e) from None

    def shutdown(self, how: int) -> None:
        try:
            self.sock.shutdown(how)
        except OSError as e:
            raise _sys(e) from None

    # --- data --------------------------------------------------------------------------
    def sendmsg(self, t: Any, data: bytes, flags: int, addr: bytes | None,
                control: Control | None) -> int:
        if control is not None:
            control.drop()
            raise EINVAL()
        host_flags = MSG_DONTWAIT | MSG_NOSIGNAL | (flags & (MSG_MORE | MSG_OOB))
        try:
            if addr:
                return self.sock.sendto(data, host_flags, _host_addr(self.family, addr))
            return self.sock.send(data, host_flags)
        except BlockingIOError:
            raise EAGAIN() from None
        except OSError as e:
            raise _sys(e) from None

    def recvmsg(self, t: Any, n: int, flags: int) -> Received:
        try:
            data, _, msg_flags, addr = self.sock.recvmsg(
                max(n, 0), 0, MSG_DONTWAIT | (flags & _RECV_FLAGS & ~MSG_WAITALL))
        except BlockingIOError:
            raise EAGAIN() from None
        except OSError as e:
            raise _sys(e) from None
        raw = _guest_addr(self.family, addr) if self.stype == SOCK_DGRAM else b""
        # Differences: a cut datagram's real length is not known (MSG_TRUNC is still set).
        return Received(data, raw, None, msg_flags & ~MSG_TRUNC,
                        len(data) + (1 if msg_flags & MSG_TRUNC else 0))

    def readable_bytes(self) -> int:
        return self._int_ioctl(FIONREAD)

    def _int_ioctl(self, cmd: int) -> int:
        try:
            buf = fcntl.ioctl(self.fd, cmd, b"\0\0\0\0")
        except OSError as e:
            raise _sys(e) from None
        return struct.unpack("<i", buf)[0]

    def ioctl(self, t: Any, cmd: int, arg: int) -> int:
        if cmd == SIOCATMARK and self.stype == SOCK_STREAM:
            t.mem.write_i32(arg, self._int_ioctl(SIOCATMARK))
            return 0
        return super().ioctl(t, cmd, arg)

    # --- readiness and lifetime ----------------------------------------------------------
    def poll_events(self) -> int:
        p = select.poll()
        p.register(self.fd, select.POLLIN | select.POLLOUT | select.POLLPRI | 0x2000)
        got = p.poll(0)
        return got[0][1] if got else 0

    def wait_source(self) -> int:
        return self.fd

    def close(self) -> None:
        self.sock.close()

    # --- options -------------------------------------------------------------------------
    def getsockopt(self, t: Any, level: int, name: int) -> bytes:
        if level == SOL_SOCKET and name in (SO_RCVTIMEO, SO_SNDTIMEO, SO_PASSCRED, SO_PEERCRED):
            return super().getsockopt(t, level, name)
        if name not in _PASS.get(level, ()):
            raise ENOPROTOOPT()
        try:
            return self.sock.getsockopt(level, name, 256)
        except OSError as e:
            raise _sys(e) from None

    def setsockopt(self, t: Any, level: int, name: int, value: bytes) -> None:
        if level == SOL_SOCKET and name in (SO_RCVTIMEO, SO_SNDTIMEO, SO_PASSCRED):
            super().setsockopt(t, level, name, value)
            return
        if name not in _PASS.get(level, ()):
            raise ENOPROTOOPT()
        try:
            self.sock.setsockopt(level, name, value)
        except OSError as e:
            raise _sys(e) from None


def _disconnect(fd: int) -> None:
    """connect(AF_UNSPEC) on the host socket (Python's socket module cannot say it)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    unspec = ctypes.create_string_buffer(16)
    if libc.connect(fd, unspec, 16) < 0:
        raise BY_NUMBER[ctypes.get_errno()]()


def new_host_socket(family: int, stype: int, protocol: int, nonblock: bool) -> HostSocket:
    """A host TCP/UDP socket for the guest (the checks Linux's inet_create makes first)."""
    if stype == SOCK_STREAM and protocol not in (0, 6):
        raise EPROTONOSUPPORT()
    if stype == SOCK_DGRAM and protocol not in (0, 17):
        raise EPROTONOSUPPORT() if protocol not in (1, 58) else EPERM()
    if stype not in (SOCK_STREAM, SOCK_DGRAM):
        raise ESOCKTNOSUPPORT() if stype != 3 else EPERM()
    try:
        sock = socket.socket(family, stype | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC,
                             protocol)
    except OSError as e:
        raise _sys(e) from None
    return HostSocket(sock, family, stype, protocol or (6 if stype == SOCK_STREAM else 17),
                      nonblock)

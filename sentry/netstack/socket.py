"""The socket layer: a Socket is a FileDescription, so read/write/close/poll/epoll/fcntl,
fstat (S_IFSOCK) and /proc/<pid>/fd (`socket:[ino]`) work through the VFS unchanged.

A family (unix/, inet/, netlink) subclasses Socket and implements the operations below;
each raises SysError as Linux does and EAGAIN when it would block. The syscall layer
(sentry/syscalls/sys_socket.py) does the waiting: it retries after `queue` notifies,
within the socket's timeout (SO_RCVTIMEO/SO_SNDTIMEO) unless the call is non-blocking.
Socket-level options every family shares (SOL_SOCKET) live here; a family handles its
own levels (SOL_TCP, SOL_IPV6 …) in `getsockopt_level`/`setsockopt_level`.
"""

from __future__ import annotations

import itertools
import struct
import time
from sentry.record import dataclass, field
from typing import Any

from sentry.abi.errno import (
    EINVAL, ENOPROTOOPT, ENOTCONN, ENOTTY, EOPNOTSUPP, SysError,
)
from sentry.abi.stat import S_IFSOCK, Stat
from sentry.kernel import fasync
from sentry.kernel.waiter import WaitQueue
from sentry.vfs.constants import O_NONBLOCK, O_RDWR
from sentry.vfs.file import FileDescription
from sentry.vfs.inode import FileSystem

AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6, AF_NETLINK = 0, 1, 2, 10, 16
SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET = 1, 2, 3, 5
SOCK_TYPE_MASK = 0xF
SOCK_NONBLOCK, SOCK_CLOEXEC = O_NONBLOCK, 0o2000000

MSG_OOB, MSG_PEEK, MSG_DONTROUTE, MSG_CTRUNC = 0x1, 0x2, 0x4, 0x8
MSG_TRUNC, MSG_DONTWAIT, MSG_EOR, MSG_WAITALL = 0x20, 0x40, 0x80, 0x100
MSG_NOSIGNAL, MSG_MORE, MSG_WAITFORONE, MSG_CMSG_CLOEXEC = 0x4000, 0x8000, 0x10000, 0x40000000
MSG_CONFIRM, MSG_ERRQUEUE, MSG_FASTOPEN = 0x800, 0x2000, 0x20000000

SHUT_RD, SHUT_WR, SHUT_RDWR = 0, 1, 2
RCV_SHUTDOWN, SEND_SHUTDOWN = 1, 2

SOL_SOCKET = 1
SO_DEBUG, SO_REUSEADDR, SO_TYPE, SO_ERROR, SO_DONTROUTE, SO_BROADCAST = 1, 2, 3, 4, 5, 6
SO_SNDBUF, SO_RCVBUF, SO_KEEPALIVE, SO_OOBINLINE, SO_NO_CHECK, SO_PRIORITY = 7, 8, 9, 10, 11, 12
SO_LINGER, SO_BSDCOMPAT, SO_REUSEPORT, SO_PASSCRED, SO_PEERCRED = 13, 14, 15, 16, 17
SO_RCVLOWAT, SO_SNDLOWAT, SO_RCVTIMEO, SO_SNDTIMEO = 18, 19, 20, 21
SO_TIMESTAMP, SO_ACCEPTCONN, SO_PEERSEC, SO_SNDBUFFORCE, SO_RCVBUFFORCE = 29, 30, 31, 32, 33
SO_PASSSEC, SO_MARK, SO_PROTOCOL, SO_DOMAIN, SO_BUSY_POLL = 34, 36, 38, 39, 46
SO_INCOMING_CPU, SO_COOKIE, SO_PEERGROUPS, SO_ZEROCOPY = 49, 57, 59, 60

FIONREAD, SIOCOUTQ = 0x541B, 0x5411
# Interface ioctls (SIOCGIF*): the netlink/interface module sets this (layering).
ioctl_hook: Any = None
SOCKFS_MAGIC = 0x534F434B
# Linux's defaults (net.core.rmem_max/wmem_max 212992; SOCK_MIN_* for this build).
RMEM_MAX = WMEM_MAX = 212992
SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF = 2304, 4608
SOMAXCONN = 4096

_INT = struct.Struct("<i")
_TIMEVAL = struct.Struct("<qq")
_LINGER = struct.Struct("<ii")


class SockFS(FileSystem):
    """sockfs: the device and inode numbers of every socket."""

    name = "sockfs"
    magic = SOCKFS_MAGIC

    def __init__(self) -> None:
        super().__init__()
        self._ino = itertools.count(10000)

    def next_ino(self) -> int:
        return next(self._ino)


SOCKFS = SockFS()


@dataclass
class Ucred:
    """struct ucred as a socket sees it: the sandbox's pid and ids."""

    pid: int = 0
    uid: int = 0
    gid: int = 0

    def pack(self) -> bytes:
        return struct.pack("<iII", self.pid, self.uid, self.gid)

    @staticmethod
    def of(t: Any) -> Ucred:
        return Ucred(t.tg.vpid, t.creds.euid, t.creds.egid)


@dataclass
class Control:
    """Ancillary data moving with a message: SCM_RIGHTS files and SCM_CREDENTIALS."""

    rights: list[FileDescription] = field(default_factory=list)
    creds: Ucred | None = None

    def drop(self) -> None:
        """Releases the references the files hold while in flight (never delivered)."""
        for f in self.rights:
            f.decref()
        self.rights = []


@dataclass
class Received:
    """One recvmsg result: the bytes, the source address, ancillary data and msg_flags.
    `full` is the message's real length (MSG_TRUNC makes recv return it)."""

    data: bytes
    addr: bytes = b""
    control: Control | None = None
    flags: int = 0
    full: int = -1


def int_opt(value: bytes) -> int:
    """An int option's value (EINVAL if shorter than an int, as Linux)."""
    if len(value) < 4:
        raise EINVAL()
    return _INT.unpack_from(value)[0]


def timeval_opt(value: bytes) -> float:
    """SO_RCVTIMEO/SO_SNDTIMEO: seconds (0: no limit); EDOM for bad usec as Linux."""
    from sentry.abi.errno import EDOM

    if len(value) < _TIMEVAL.size:
        raise EINVAL()
    sec, usec = _TIMEVAL.unpack_from(value)
    if not 0 <= usec < 1_000_000:
        raise EDOM()
    if sec < 0:
        return 0.0
    return sec + usec / 1e6


class Socket(FileDescription):
    """A socket. Subclasses implement the family's operations; defaults say EOPNOTSUPP."""

    family = AF_UNSPEC

    def __init__(self, stype: int, protocol: int, nonblock: bool = False) -> None:
        super().__init__(O_RDWR | (O_NONBLOCK if nonblock else 0))
        self.stype = stype
        self.protocol = protocol
        self.queue = WaitQueue()
        self.ino = SOCKFS.next_ino()
        self.ctime_ns = time.time_ns()
        self.uid = self.gid = 0
        self.shutdown_state = 0  # RCV_SHUTDOWN | SEND_SHUTDOWN
        self.error = 0  # pending SO_ERROR
        self.rcvbuf, self.sndbuf = RMEM_MAX, WMEM_MAX
        self.rcvtimeo = self.sndtimeo = 0.0
        self.bool_opts: dict[int, int] = {}  # SO_REUSEADDR, SO_KEEPALIVE … as set
        self.linger = (0, 0)
        self.passcred = False
        self.closed = False

    # --- lifetime ------------------------------------------------------------------
    def release(self) -> None:
        if not self.closed:
            self.closed = True
            self.close()

    def close(self) -> None:
        """The last reference is gone: tear the endpoint down."""

    # --- operations (families override) ------------------------------------------
    def bind(self, t: Any, addr: bytes) -> None:
        raise EOPNOTSUPP()

    def listen(self, t: Any, backlog: int) -> None:
        raise EOPNOTSUPP()

    def accept(self, t: Any) -> Socket:
        raise EOPNOTSUPP()

    def connect(self, t: Any, addr: bytes) -> None:
        """Starts or completes a connection; EAGAIN while the caller should wait for
        `connect_done()` (blocking) and EINPROGRESS where Linux says so (non-blocking)."""
        raise EOPNOTSUPP()

    def connect_continue(self, t: Any, addr: bytes) -> None:
        """A blocking connect's retry after a wake-up: done, the error, or EAGAIN."""
        self.connect(t, addr)

    def connect_source(self) -> Any:
        """What a blocking connect waits on (the socket's own queue by default)."""
        return self.queue

    def connect_timeout_error(self) -> type[SysError]:
        """What a connect whose SO_SNDTIMEO ran out says."""
        from sentry.abi.errno import EAGAIN

        return EAGAIN

    def sendmsg(self, t: Any, data: bytes, flags: int, addr: bytes | None,
                control: Control | None) -> int:
        raise EOPNOTSUPP()

    def recvmsg(self, t: Any, n: int, flags: int) -> Received:
        raise EOPNOTSUPP()

    def shutdown(self, how: int) -> None:
        raise ENOTCONN()

    def getsockname(self) -> bytes:
        raise EOPNOTSUPP()

    def getpeername(self) -> bytes:
        raise ENOTCONN()

    def readable_bytes(self) -> int:
        """FIONREAD / SIOCINQ."""
        return 0

    def is_listening(self) -> bool:
        return False

    # --- read/write go through send/recv --------------------------------------------
    def read(self, n: int) -> bytes:
        return self.recvmsg(None, n, 0).data

    def write(self, data: bytes) -> int:
        return self.sendmsg(None, data, 0, None, None)

    def wait_source(self) -> WaitQueue:
        return self.queue

    # --- O_ASYNC (sentry/kernel/fasync.py) --------------------------------------------
    fasync_list: dict[int, Any] | None = None  # the O_ASYNC descriptions (only this one)
    async_nospace = False  # a send found no room (SOCKWQ_ASYNC_NOSPACE): POLL_OUT is due

    def fasync(self, own: Any, fd: int) -> None:
        if self.fasync_list is None:
            self.fasync_list = {}
        fasync.register(own, fd, self.fasync_list)

    def wake_async(self, reason: int) -> None:
        """sk_wake_async: news for the O_ASYNC owner (POLL_IN, POLL_HUP …)."""
        if self.fasync_list:
            fasync.kill_all(self.fasync_list, reason)

    def write_space(self) -> None:
        """sk_wake_async's SOCK_WAKE_SPACE: POLL_OUT once room came back after a send found
        none."""
        if self.async_nospace:
            self.async_nospace = False
            self.wake_async(fasync.POLL_OUT)

    def readable_now(self) -> int:
        return self.readable_bytes()

    def ioctl(self, t: Any, cmd: int, arg: int) -> int:
        """FIONREAD/SIOCINQ and SIOCOUTQ here; interface requests through `ioctl_hook`."""
        if cmd == FIONREAD:
            t.mem.write_i32(arg, min(self.readable_bytes(), 0x7FFFFFFF))
            return 0
        if cmd == SIOCOUTQ:
            t.mem.write_i32(arg, self.unsent_bytes())
            return 0
        if ioctl_hook is not None:
            return ioctl_hook(self, t, cmd, arg)
        raise ENOTTY()

    def unsent_bytes(self) -> int:
        """SIOCOUTQ: bytes sent and not yet read by the peer."""
        return 0

    def take_error(self) -> int:
        err, self.error = self.error, 0
        return err

    # --- options -----------------------------------------------------------------------
    def getsockopt(self, t: Any, level: int, name: int) -> bytes:
        """The option's value, packed (the caller truncates to optlen)."""
        if level != SOL_SOCKET:
            return self.getsockopt_level(t, level, name)
        if name == SO_TYPE:
            return _INT.pack(self.stype)
        if name == SO_DOMAIN:
            return _INT.pack(self.family)
        if name == SO_PROTOCOL:
            return _INT.pack(self.protocol)
        if name == SO_ERROR:
            return _INT.pack(self.take_error())
        if name == SO_ACCEPTCONN:
            return _INT.pack(int(self.is_listening()))
        if name == SO_RCVBUF:
            return _INT.pack(self.rcvbuf)
        if name == SO_SNDBUF:
            return _INT.pack(self.sndbuf)
        if name in (SO_RCVTIMEO, SO_SNDTIMEO):
            v = self.rcvtimeo if name == SO_RCVTIMEO else self.sndtimeo
            sec = int(v)
            return _TIMEVAL.pack(sec, round((v - sec) * 1e6))
        if name == SO_LINGER:
            return _LINGER.pack(*self.linger)
        if name == SO_PASSCRED:
            return _INT.pack(int(self.passcred))
        if name == SO_PEERCRED:
            return self.peercred().pack()
        if name in (SO_RCVLOWAT,):
            return _INT.pack(self.bool_opts.get(name, 1))
        if name in _PLAIN_OPTS:
            return _INT.pack(self.bool_opts.get(name, 0))
        raise ENOPROTOOPT()

    def setsockopt(self, t: Any, level: int, name: int, value: bytes) -> None:
        if level != SOL_SOCKET:
            self.setsockopt_level(t, level, name, value)
            return
        if name in (SO_RCVTIMEO, SO_SNDTIMEO):
            v = timeval_opt(value)
            if name == SO_RCVTIMEO:
                self.rcvtimeo = v
            else:
                self.sndtimeo = v
            return
        if name == SO_LINGER:
            if len(value) < _LINGER.size:
                raise EINVAL()
            onoff, secs = _LINGER.unpack_from(value)
            self.linger = (1 if onoff else 0, secs)
            return
        v = int_opt(value)
        if name in (SO_RCVBUF, SO_RCVBUFFORCE):
            self.rcvbuf = max(min(v & 0xFFFFFFFF, RMEM_MAX) * 2, SOCK_MIN_RCVBUF)
        elif name in (SO_SNDBUF, SO_SNDBUFFORCE):
            self.sndbuf = max(min(v & 0xFFFFFFFF, WMEM_MAX) * 2, SOCK_MIN_SNDBUF)
        elif name == SO_PASSCRED:
            self.passcred = v != 0
        elif name == SO_RCVLOWAT:
            self.bool_opts[name] = max(v, 1) if v >= 0 else 0x7FFFFFFF
        elif name in _BOOL_OPTS:
            self.bool_opts[name] = int(v != 0)
        elif name in _PLAIN_OPTS:
            self.bool_opts[name] = v
        elif name in (SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR, SO_ACCEPTCONN, SO_PEERCRED):
            raise ENOPROTOOPT()
        else:
            raise ENOPROTOOPT()

    def getsockopt_level(self, t: Any, level: int, name: int) -> bytes:
        raise EOPNOTSUPP() if level not in _KNOWN_LEVELS else ENOPROTOOPT()

    def setsockopt_level(self, t: Any, level: int, name: int, value: bytes) -> None:
        raise EOPNOTSUPP() if level not in _KNOWN_LEVELS else ENOPROTOOPT()

    def peercred(self) -> Ucred:
        """SO_PEERCRED: unix sockets only; others report the unset credentials."""
        return Ucred(0, 0xFFFFFFFF, 0xFFFFFFFF)

    def option(self, name: int) -> int:
        return self.bool_opts.get(name, 0)

    # --- attributes ----------------------------------------------------------------
    def stat(self) -> Stat:
        c = self.ctime_ns
        return Stat(dev=SOCKFS.dev, ino=self.ino, mode=S_IFSOCK | 0o777, uid=self.uid,
                    gid=self.gid, atime_ns=c, mtime_ns=c, ctime_ns=c, blksize=4096)

    def statfs(self) -> Any:
        return SOCKFS.statfs()

    def guest_path(self) -> bytes:
        return b"socket:[%d]" % self.ino

    def fsync(self) -> None:
        raise EINVAL()

    def pread(self, n: int, off: int) -> bytes:
        from sentry.abi.errno import ESPIPE

        raise ESPIPE()


_BOOL_OPTS = frozenset((SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_OOBINLINE, SO_BROADCAST,
                        SO_DONTROUTE, SO_TIMESTAMP, SO_DEBUG, SO_NO_CHECK, SO_ZEROCOPY,
                        SO_PASSSEC))
_PLAIN_OPTS = _BOOL_OPTS | frozenset((SO_PRIORITY, SO_MARK, SO_BUSY_POLL, SO_SNDLOWAT))
SOL_IP, SOL_TCP, SOL_UDP, SOL_IPV6, SOL_NETLINK = 0, 6, 17, 41, 270
_KNOWN_LEVELS = frozenset((SOL_SOCKET, SOL_IP, SOL_TCP, SOL_UDP, SOL_IPV6, SOL_NETLINK))

__all__ = [
    "Control", "Received", "SOCKFS", "Socket", "SysError", "Ucred", "int_opt",
]

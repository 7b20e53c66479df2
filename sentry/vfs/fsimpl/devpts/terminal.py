"""A pseudo-terminal pair: the shared state (Terminal) and its two kinds of open files.

    master (/dev/ptmx) --write--> inq --LineDiscipline.receive--> input queue --> replica read
    master read <-- ld.out <-- output processing <-- replica write (and the echo)

`inq` is Linux's flip buffer: the master's writes wait there (up to INQ_MAX) until the line
discipline has room, so a master write blocks only when both are full. Both files park on
the one WaitQueue of the Terminal.

Hang-ups, as Linux: when the last replica closes, the master reads what is left and then
EIO (POLLHUP); when the master closes, the replica reads EOF and writes EIO, the node
/dev/pts/N goes away and the session that had the terminal gets SIGHUP (jobctl.hangup).
Session and foreground group (`job`, the kernel's TtyJobControl), background checks
(SIGTTIN/SIGTTOU) and the signals the line discipline generates go through
sentry.vfs.fsimpl.devpts.jobctl.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from sentry.abi.errno import EAGAIN, EINVAL, EIO, ENOTTY
from sentry.kernel import fasync
from sentry.kernel.jobctl import TtyJobControl
from sentry.kernel.waiter import (
    POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, WaitQueue,
)
from sentry.vfs.constants import O_ACCMODE, O_CLOEXEC, O_NOCTTY, O_NONBLOCK
from sentry.vfs.file import FileDescription
from sentry.vfs.fsimpl.devpts import jobctl
from sentry.vfs.fsimpl.devpts.ldisc import LineDiscipline
from sentry.vfs.fsimpl.devpts.termios import TERMIOS2_SIZE, TERMIOS_SIZE, TOSTOP, Termios

if TYPE_CHECKING:
    from sentry.vfs.dentry import VirtualDentry

INQ_MAX = 65536  # the master's writes buffered before the line discipline
OUT_MAX = 65536  # output waiting for the master to read it
SIGWINCH = 28

TCGETS, TCSETS, TCSETSW, TCSETSF = 0x5401, 0x5402, 0x5403, 0x5404
TCSBRK, TCXONC, TCFLSH = 0x5409, 0x540A, 0x540B
TIOCEXCL, TIOCNXCL, TIOCSCTTY, TIOCGPGRP, TIOCSPGRP = 0x540C, 0x540D, 0x540E, 0x540F, 0x5410
TIOCOUTQ, TIOCGWINSZ, TIOCSWINSZ, FIONREAD = 0x5411, 0x5413, 0x5414, 0x541B
TIOCNOTTY, TIOCSETD, TIOCGETD, TCSBRKP, TIOCGSID = 0x5422, 0x5423, 0x5424, 0x5425, 0x5429
TCGETS2, TCSETS2, TCSETSW2, TCSETSF2 = 0x802C542A, 0x402C542B, 0x402C542C, 0x402C542D
TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK, TIOCGPTPEER = 0x80045430, 0x40045431, 0x80045439, 0x5441
TIOCGEXCL = 0x80045440
TCIFLUSH, TCOFLUSH, TCIOFLUSH = 0, 1, 2
TCOOFF, TCOON, TCIOFF, TCION = 0, 1, 2, 3


class Terminal:
    """One pty pair. `index` is N of /dev/pts/N; `inode` is that node (devpts.py)."""

    def __init__(self, index: int, kernel: Any, pts: VirtualDentry | None) -> None:
        self.index = index
        self.kernel = kernel
        self.pts = pts  # the devpts mount root the master was opened through
        self.ld = LineDiscipline()
        self.inq = bytearray()
        self.winsize = bytes(8)
        self.locked = True  # TIOCSPTLCK: replica opens fail with EIO while set
        self.masters = self.replicas = 0
        self.master_hup = False  # every replica closed again: the master reads EIO
        self.hung_up = False  # the master closed: replica reads EOF, writes EIO
        self.exclusive = False
        self.queue = WaitQueue()
        self.job = TtyJobControl()  # its session and foreground group (kernel/jobctl.py)
        self.inode: Any = None
        self.on_release: Any = None  # devpts frees the index when the master is gone
        # O_ASYNC descriptions of each side (sentry/kernel/fasync.py), once there is one.
        self.fasync_master: dict[int, Any] | None = None
        self.fasync_replica: dict[int, Any] | None = None

    @property
    def tty_job(self) -> TtyJobControl:
        """What kernel/jobctl.py looks for on tg.controlling_tty."""
        return self.job

    def _changed(self) -> None:
        self.queue.notify(POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

    # --- the master's side ------------------------------------------------------------
    def master_write(self, data: bytes) -> int:
        room = INQ_MAX - len(self.inq)
        if room <= 0:
            raise EAGAIN()
        self.inq += data[:room]
        self.pump()
        return min(room, len(data))

    def pump(self) -> None:
        """Feeds buffered input to the line discipline while it has room."""
        fed, echoed = False, len(self.ld.out)
        while self.inq and self.ld.has_room():
            chunk = bytes(self.inq[:256])
            del self.inq[:256]
            fed = True
            for sig in self.ld.receive(chunk):
                jobctl.signal_foreground(self, sig)
        self._changed()
        if fed and (self.fasync_replica or self.fasync_master):
            # n_tty's receive_buf tells the replica's owners; its echo reaches the master
            # as the output below does.
            if self.ld.input_available():  # canonical: a line was completed
                fasync.kill_all(self.fasync_replica, fasync.POLL_IN)
            if len(self.ld.out) > echoed:
                fasync.kill_all(self.fasync_master, fasync.POLL_IN)

    def master_read(self, n: int) -> bytes:
        out = self.ld.out
        if not out:
            if self.master_hup:
                raise EIO()
            raise EAGAIN()
        data = bytes(out[:n])
        del out[:n]
        self._changed()
        return data

    def master_events(self) -> int:
        ev = 0
        if self.ld.out:
            ev |= POLLIN | POLLRDNORM
        if self.master_hup:
            ev |= POLLHUP
        if len(self.inq) < INQ_MAX:
            ev |= POLLOUT | POLLWRNORM
        return ev

    # --- the replica's side -----------------------------------------------------------
    def replica_read(self, n: int, expired: bool = False) -> bytes:
        data = self.ld.read(n, expired)
        if data is None:
            if self.hung_up:
                return b""
            raise EAGAIN()
        self.pump()
        return data

    def replica_write(self, data: bytes) -> int:
        if self.hung_up:
            raise EIO()
        room = OUT_MAX - len(self.ld.out)
        if self.ld.stopped or room <= 0:
            raise EAGAIN()
        self.ld.write(data[:room])
        self._changed()
        fasync.kill_all(self.fasync_master, fasync.POLL_IN)  # the master's input
        return min(room, len(data))

    def replica_events(self) -> int:
        if self.hung_up:
            return POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM
        ev = 0
        if self.ld.input_available():
            ev |= POLLIN | POLLRDNORM
        if not self.ld.stopped and len(self.ld.out) < OUT_MAX:
            ev |= POLLOUT | POLLWRNORM
        return ev

    # --- open and close -----------------------------------------------------------------
    def open_replica(self, t: Any, vd: VirtualDentry, flags: int) -> ReplicaFile:
        """A new replica description (EIO while locked or after the master closed)."""
        if self.locked or self.hung_up or self.masters == 0:
            raise EIO()
        f = ReplicaFile(flags & ~(O_NOCTTY | O_CLOEXEC), vd, self)
        if not flags & O_NOCTTY and t is not None:
            jobctl.open_may_acquire(t, self)
        return f

    def replica_closed(self) -> None:
        self.replicas -= 1
        if self.replicas == 0:
            self.master_hup = True
        self._changed()

    def master_closed(self) -> None:
        self.masters -= 1
        if self.masters:
            return
        self.hung_up = True
        for own in list((self.fasync_replica or {}).values()):
            own.end()  # a hang-up ends the replicas' O_ASYNC registrations (__tty_hangup)
        self.ld.flush_input()
        self.inq.clear()
        jobctl.hangup(self)
        if self.on_release is not None:
            self.on_release(self)
        self.queue.notify(POLLIN | POLLOUT | POLLHUP | POLLERR)

    def reopen(self, flags: int) -> ReplicaFile:
        """Opening /dev/tty when this is the caller's controlling terminal."""
        if self.hung_up or self.pts is None:
            raise EIO()
        return ReplicaFile(flags & ~(O_NOCTTY | O_CLOEXEC), self.replica_vd(), self)

    def replica_vd(self) -> VirtualDentry:
        from sentry.vfs.dentry import Dentry, VirtualDentry

        assert self.pts is not None
        d = Dentry(self.inode, b"%d" % self.index, self.pts.dentry)
        return VirtualDentry(self.pts.mount, d)


class TtyFile(FileDescription):
    """What both sides share: termios, window size, flushing and job-control ioctls."""

    is_master = False

    def __init__(self, flags: int, vd: Any, term: Terminal) -> None:
        super().__init__(flags, vd)
        self.term = term
        self._released = False

    def wait_source(self) -> WaitQueue:
        return self.term.queue

    def fasync(self, own: Any, fd: int) -> None:
        """O_ASYNC: on the list of this side (sentry/kernel/fasync.py)."""
        t = self.term
        if self.is_master:
            t.fasync_master = t.fasync_master if t.fasync_master is not None else {}
            fasync.register(own, fd, t.fasync_master)
        else:
            t.fasync_replica = t.fasync_replica if t.fasync_replica is not None else {}
            fasync.register(own, fd, t.fasync_replica)

    def pread(self, n: int, off: int) -> bytes:
        from sentry.abi.errno import ESPIPE

        raise ESPIPE()

    def pwrite(self, data: bytes, off: int) -> int:
        from sentry.abi.errno import ESPIPE

        raise ESPIPE()

    def ioctl(self, t: Any, cmd: int, arg: int) -> int:
        term = self.term
        ld = term.ld
        if cmd in (TCGETS, TCGETS2):
            t.mem.write(arg, ld.termios.pack(TERMIOS_SIZE if cmd == TCGETS else TERMIOS2_SIZE))
            return 0
        if cmd in (TCSETS, TCSETSW, TCSETSF, TCSETS2, TCSETSW2, TCSETSF2):
            if not self.is_master:
                jobctl.check_change(t, term)
            size = TERMIOS_SIZE if cmd in (TCSETS, TCSETSW, TCSETSF) else TERMIOS2_SIZE
            new = Termios.unpack(t.mem.read(arg, size))
            if size == TERMIOS_SIZE:
                new.ispeed, new.ospeed = ld.termios.ispeed, ld.termios.ospeed
            if cmd in (TCSETSF, TCSETSF2):
                ld.flush_input()
            ld.set_termios(new)
            term.pump()
            return 0
        if cmd == TIOCGWINSZ:
            t.mem.write(arg, term.winsize)
            return 0
        if cmd == TIOCSWINSZ:
            ws = t.mem.read(arg, 8)
            if ws != term.winsize:
                term.winsize = ws
                jobctl.signal_foreground(term, SIGWINCH)
            return 0
        if cmd == FIONREAD:
            n = len(ld.out) if self.is_master else ld.inq()
            t.mem.write_i32(arg, n)
            return 0
        if cmd == TIOCOUTQ:
            t.mem.write_i32(arg, 0)  # a pty keeps nothing in a driver queue (Linux: 0)
            return 0
        if cmd in (TCFLSH, TCXONC) and not self.is_master:
            jobctl.check_change(t, term)
        if cmd == TCFLSH:
            return self._flush(arg)
        if cmd in (TCSBRK, TCSBRKP):
            return 0  # tcdrain/tcsendbreak: nothing waits in a pty
        if cmd == TCXONC:
            return self._flow(arg)
        if cmd == TIOCGETD:
            t.mem.write_i32(arg, 0)  # N_TTY
            return 0
        if cmd == TIOCSETD:
            if t.mem.read_i32(arg) != 0:
                raise EINVAL()
            return 0
        if cmd in (TIOCEXCL, TIOCNXCL):
            term.exclusive = cmd == TIOCEXCL
            return 0
        if cmd == TIOCGEXCL:
            t.mem.write_i32(arg, int(term.exclusive))
            return 0
        if cmd in (TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID):
            return jobctl.ioctl(t, term, self.is_master, cmd, arg)
        return self.own_ioctl(t, cmd, arg)

    def own_ioctl(self, t: Any, cmd: int, arg: int) -> int:
        raise ENOTTY()

    def _flush(self, arg: int) -> int:
        if arg not in (TCIFLUSH, TCOFLUSH, TCIOFLUSH):
            raise EINVAL()
        ld = self.term.ld
        # Input of the master is the replica's output and the other way round.
        in_master, in_replica = ld.out.clear, ld.flush_input
        if arg in (TCIFLUSH, TCIOFLUSH):
            (in_master if self.is_master else in_replica)()
        if arg in (TCOFLUSH, TCIOFLUSH):
            (in_replica if self.is_master else in_master)()
        self.term._changed()
        return 0

    def _flow(self, arg: int) -> int:
        if arg not in (TCOOFF, TCOON, TCIOFF, TCION):
            raise EINVAL()
        if arg in (TCOOFF, TCOON):
            self.term.ld.stopped = arg == TCOOFF
            self.term._changed()
        return 0


class MasterFile(TtyFile):
    """The master side, from opening /dev/ptmx."""

    is_master = True

    def __init__(self, flags: int, vd: Any, term: Terminal) -> None:
        super().__init__(flags, vd, term)
        term.masters += 1

    def release(self) -> None:
        if not self._released:
            self._released = True
            self.term.master_closed()

    def read(self, n: int) -> bytes:
        self._check_read()
        return self.term.master_read(n)

    def write(self, data: bytes) -> int:
        self._check_write()
        return self.term.master_write(data)

    def poll_events(self) -> int:
        return self.term.master_events()

    def readable_now(self) -> int:
        return len(self.term.ld.out)

    def own_ioctl(self, t: Any, cmd: int, arg: int) -> int:
        term = self.term
        if cmd == TIOCGPTN:
            t.mem.write(arg, struct.pack("<I", term.index))
            return 0
        if cmd == TIOCSPTLCK:
            term.locked = t.mem.read_i32(arg) != 0
            return 0
        if cmd == TIOCGPTLCK:
            t.mem.write_i32(arg, int(term.locked))
            return 0
        if cmd == TIOCGPTPEER:
            if arg & ~(O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC):
                raise EINVAL()
            if term.pts is None:
                raise EIO()
            f = term.open_replica(t, term.replica_vd(), arg)
            return t.fds.install(f, bool(arg & O_CLOEXEC))
        raise ENOTTY()


class ReplicaFile(TtyFile):
    """The replica side, /dev/pts/N."""

    @property
    def tty_job(self) -> TtyJobControl:  # type: ignore[override]
        """read/write check it: a background group gets SIGTTIN, or SIGTTOU with TOSTOP."""
        return self.term.job

    def tostop(self) -> bool:
        return bool(self.term.ld.termios.lflag & TOSTOP)

    def __init__(self, flags: int, vd: Any, term: Terminal) -> None:
        super().__init__(flags, vd, term)
        term.replicas += 1
        term.master_hup = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self.term.replica_closed()

    def read(self, n: int, expired: bool = False) -> bytes:
        self._check_read()
        return self.term.replica_read(n, expired)

    def read_deadline(self, started: float) -> float | None:
        """VTIME: when a blocking read that started at `started` returns what is there
        (read(n, expired=True)); None while it waits for data without a limit."""
        return self.term.ld.read_deadline(started)

    def write(self, data: bytes) -> int:
        self._check_write()
        return self.term.replica_write(data)

    def poll_events(self) -> int:
        return self.term.replica_events()

    def readable_now(self) -> int:
        return self.term.ld.inq()

    def own_ioctl(self, t: Any, cmd: int, arg: int) -> int:
        if cmd == TIOCGPTPEER:
            raise EIO()  # Linux's answer on the replica side
        raise ENOTTY()

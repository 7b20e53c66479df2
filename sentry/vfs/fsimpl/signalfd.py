"""signalfd: a file that hands the calling thread's pending signals over as records
(Linux's fs/signalfd.c).

Signals stay with the host kernel (dispositions, masks and pending sets are the host's;
see sentry/syscalls/sys_signal.py). A signal a signalfd reader wants is normally blocked,
so it sits pending on the host: a read takes it with rt_sigtimedwait injected into the
reading task with a zero timeout (sentry.kernel.signals.dequeue), using the guest's read
buffer as scratch, and turns the siginfo into a `struct signalfd_siginfo` the way
signalfd_copyinfo does. Readiness (poll, epoll, a blocking read) is the polling or
reading thread's own pending set (thread-directed, then process-directed) read from the
host's /proc. Waiters sleep on the kernel's signal queue, notified wherever a signal to
the sandbox is sent or seen (kernel.signals_sent, and its periodic look while calls are
parked), and then look again.

On the seccomp platform a read arrives through the notify lane, where the task cannot take
an injected call: it is interrupted and its read restarted, and the dequeue happens at
that stop (SignalFd._take_at_stop). On the ptrace platform the task is stopped already.

The sender's pid and uid are the guest's (sentry.kernel.siginfo.guest_info). A bad read
buffer is EFAULT with the signal left pending (Linux loses it). readv needs its first
buffer to hold one record. /proc/<pid>/fdinfo shows the mask (show_fdinfo).
"""

from __future__ import annotations

import struct
import weakref
from typing import TYPE_CHECKING, Any

from sentry.abi.errno import EAGAIN, EINVAL, SysError
from sentry.kernel import siginfo, signals
from sentry.kernel.waiter import POLLIN
from sentry.vfs.constants import O_NONBLOCK, O_RDWR
from sentry.vfs.fsimpl.eventfd import AnonFile

if TYPE_CHECKING:
    from sentry.kernel.kernel import Kernel
    from sentry.kernel.task import Task

SIGINFO_SIZE = 128  # sizeof(struct signalfd_siginfo) == sizeof(siginfo_t) on x86-64
_UNMASKABLE = 1 << (9 - 1) | 1 << (19 - 1)  # SIGKILL, SIGSTOP

# siginfo_layout(): signal → (largest kernel si_code of that signal, layout).
_SIGILL, _SIGTRAP, _SIGBUS, _SIGFPE, _SIGSEGV, _SIGCHLD, _SIGPOLL, _SIGSYS = (
    4, 5, 7, 8, 11, 17, 29, 31)
_KERNEL_LAYOUT = {_SIGILL: (11, "fault"), _SIGFPE: (15, "fault"), _SIGSEGV: (10, "fault"),
                  _SIGBUS: (5, "fault"), _SIGTRAP: (6, "fault"), _SIGCHLD: (6, "chld"),
                  _SIGPOLL: (6, "poll"), _SIGSYS: (2, "sys")}
SI_USER, SI_KERNEL, SI_TIMER, SI_SIGIO, SI_TKILL = 0, 0x80, -2, -5, -6
_BUS_MCEERR_AR, _BUS_MCEERR_AO = 4, 5


class _RestartNoIntr(SysError):
    """-ERESTARTNOINTR: the host restarts the call, handler or not."""

    errno = 513


# Records a task's read dequeued at a stop, for the read restarted after it (seccomp).
_TAKEN: weakref.WeakKeyDictionary[Task, list[bytes] | SysError] = weakref.WeakKeyDictionary()


def _layout(sig: int, code: int) -> str:
    """Linux's siginfo_layout() (x86-64)."""
    if SI_USER < code < SI_KERNEL:
        limit, layout = _KERNEL_LAYOUT.get(sig, (0, "kill"))
        if code <= limit:
            if sig == _SIGBUS and _BUS_MCEERR_AR <= code <= _BUS_MCEERR_AO:
                return "mceerr"
            return layout
        return "poll" if code <= 6 else "kill"
    if code == SI_TIMER:
        return "timer"
    if code == SI_SIGIO:
        return "poll"
    return "rt" if code < 0 else "kill"


def to_signalfd_siginfo(info: bytes) -> bytes:
    """A siginfo_t (the reader's view) as a struct signalfd_siginfo, field by field per
    the siginfo's layout (signalfd_copyinfo)."""
    signo, errno_, code = struct.unpack_from("<iii", info, 0)
    out = bytearray(SIGINFO_SIZE)
    struct.pack_into("<Iii", out, 0, signo, errno_, code)
    layout = _layout(signo, code)
    if layout in ("kill", "chld", "rt"):
        pid, uid = struct.unpack_from("<iI", info, 16)
        struct.pack_into("<II", out, 12, pid & 0xFFFFFFFF, uid)  # ssi_pid, ssi_uid
    if layout == "chld":
        status = struct.unpack_from("<i", info, 24)[0]
        utime, stime = struct.unpack_from("<qq", info, 32)
        struct.pack_into("<i", out, 40, status)  # ssi_status
        struct.pack_into("<QQ", out, 56, utime & (1 << 64) - 1, stime & (1 << 64) - 1)
    elif layout in ("rt", "timer"):
        ival = struct.unpack_from("<i", info, 24)[0]
        ptr = struct.unpack_from("<Q", info, 24)[0]
        struct.pack_into("<i", out, 44, ival)  # ssi_int
        struct.pack_into("<Q", out, 48, ptr)  # ssi_ptr
        if layout == "timer":
            tid, overrun = struct.unpack_from("<ii", info, 16)
            struct.pack_into("<I", out, 24, tid & 0xFFFFFFFF)  # ssi_tid
            struct.pack_into("<I", out, 32, overrun & 0xFFFFFFFF)  # ssi_overrun
    elif layout == "poll":
        band, fd = struct.unpack_from("<qi", info, 16)
        struct.pack_into("<i", out, 20, fd)  # ssi_fd
        struct.pack_into("<I", out, 28, band & 0xFFFFFFFF)  # ssi_band
    elif layout in ("fault", "mceerr"):
        struct.pack_into("<Q", out, 72, struct.unpack_from("<Q", info, 16)[0])  # ssi_addr
        if layout == "mceerr":
            struct.pack_into("<H", out, 80, struct.unpack_from("<H", info, 24)[0])
    elif layout == "sys":
        call_addr, syscall, arch = struct.unpack_from("<QiI", info, 16)
        struct.pack_into("<Q", out, 88, call_addr)  # ssi_call_addr
        struct.pack_into("<i", out, 84, syscall)  # ssi_syscall
        struct.pack_into("<I", out, 96, arch)  # ssi_arch
    return bytes(out)


def _restart(t: Task) -> None:
    """Restarts the read answered -ERESTARTNOINTR now, as the host's signal code would
    have: the stop is inside that code, and an injected call runs through its exit, so
    the host's own restart would be skipped (and -513 would reach the guest)."""
    p = t.kernel.platform
    regs = p.getregs(t.ctx)
    if regs.rax == -_RestartNoIntr.errno & (1 << 64) - 1:
        regs.rax = regs.orig_rax
        regs.rip -= 2  # back over the 2-byte syscall instruction
        p.setregs(t.ctx, regs)


class SignalFd(AnonFile):
    """A signalfd description (anon_inode:[signalfd], O_RDWR; O_NONBLOCK as asked)."""

    kind = b"signalfd"
    task_read = True  # reads need the calling task (sys_read_write.py)

    def __init__(self, kernel: Kernel, mask: int, nonblock: bool) -> None:
        super().__init__(O_RDWR | (O_NONBLOCK if nonblock else 0))
        self.kernel = kernel
        self.mask = 0
        self.set_mask(mask)

    def set_mask(self, mask: int) -> None:
        """The signals this file takes; SIGKILL and SIGSTOP are silently left out."""
        self.mask = mask & ~_UNMASKABLE & (1 << 64) - 1
        self.kernel.signal_queue.notify(POLLIN)  # waiters look again with the new mask

    def show_fdinfo(self) -> bytes:
        """/proc/<pid>/fdinfo's line (fs/signalfd.c): the signals taken, bit N-1 for N."""
        return b"sigmask:\t%016x\n" % self.mask

    def read(self, n: int) -> bytes:  # the task-less path: never taken by read/readv
        raise EINVAL()

    def read_task(self, t: Task, iovs: list[tuple[int, int]]) -> Any:
        """read/readv for `t`: an int, or the coroutine that parks until a signal comes."""
        total = sum(n for _, n in iovs)
        if total < SIGINFO_SIZE:
            raise EINVAL()
        if iovs[0][1] < SIGINFO_SIZE:
            raise EINVAL()  # Differences: a first buffer too small for a record
        buf, room = iovs[0][0], iovs[0][1] // SIGINFO_SIZE

        def op() -> int:
            taken = _TAKEN.pop(t, None)
            if taken is None:
                if not signals.pending_in(t.host_tid, self.mask):
                    raise EAGAIN()
                if t.kernel.platform.name == "seccomp":
                    self._take_at_stop(t, buf, room)
                    raise _RestartNoIntr()
                taken = self._take(t, buf, room)
            if isinstance(taken, SysError):
                raise taken
            if not taken:
                raise EAGAIN()
            t.mem.write(buf, b"".join(taken))
            return len(taken) * SIGINFO_SIZE

        try:
            return op()
        except EAGAIN:
            if self.nonblocking:
                raise
        return t.io_wait(self, POLLIN, op)

    def _take(self, t: Task, buf: int, room: int) -> list[bytes] | SysError:
        """Dequeues up to `room` records into the task's buffer `buf` (a stopped task)."""
        taken: list[bytes] = []
        try:
            while len(taken) < room:
                rec = self._dequeue(t, buf + len(taken) * SIGINFO_SIZE)
                if rec is None:
                    break
                taken.append(rec)
        except SysError as e:
            return taken or e
        return taken

    def _take_at_stop(self, t: Task, buf: int, room: int) -> None:
        """seccomp's notify lane: the task waits for its answer and takes no injected call.
        The task is interrupted (PTRACE_INTERRUPT, which the killable wait for the answer
        does not end) and its read answered -ERESTARTNOINTR: at the stop on its way out,
        before the host restarts the read, the signals are dequeued and kept for the
        restarted read (_TAKEN)."""
        def at_stop() -> None:
            _TAKEN[t] = self._take(t, buf, room)
            _restart(t)

        t.kernel.request_stop(t, at_stop)

    def _dequeue(self, t: Task, scratch: int) -> bytes | None:
        if not signals.pending_in(t.host_tid, self.mask):
            return None
        info = signals.dequeue(t, self.mask, scratch)
        if info is None:
            return None
        return to_signalfd_siginfo(siginfo.guest_info(self.kernel, t, info) or info)

    def poll_events(self) -> int:
        t = self.kernel.current
        if t is not None and signals.pending_in(t.host_tid, self.mask):
            return POLLIN
        return 0

    def edge_state(self) -> int:
        """The signals of the mask pending for the calling thread: epoll scans this file at
        every wait (a signal the host delivers itself, as a kill of the caller's own
        process, gives no notify) and sees an edge where a signal was added."""
        t = self.kernel.current
        return signals.pending_set(t.host_tid) & self.mask if t is not None else 0

    def wait_source(self) -> Any:
        return self.kernel.signal_queue


__all__ = ["SIGINFO_SIZE", "SignalFd", "to_signalfd_siginfo"]

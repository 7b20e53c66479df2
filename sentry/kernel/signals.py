"""Signal delivery decisions the Sentry makes at a task's signal-delivery-stop.

The guest's init is the host's init of the sandbox's PID namespace, and a traced
namespace init is special on the host: the kernel keeps it SIGNAL_UNKILLABLE even for a
synchronous fault (it only drops that protection for untraced tasks), so a SIGSEGV
re-delivered by the tracer would be discarded and the faulting instruction would fault
forever. Linux's own rule for a namespace init is: a signal whose action is the default
is ignored, except a fault the kernel raises, which kills it. The Sentry applies that rule
itself: faults kill the task (SIGKILL, reported as the fault's signal), other
default-action signals are dropped, handled or ignored ones are delivered.
"""

from __future__ import annotations

import os
import signal
import struct
from typing import TYPE_CHECKING

from sentry.abi.sysno import SYS_rt_sigaction
from sentry.platform.filter import lane_of
from sentry.platform.native import ffi, lib

if TYPE_CHECKING:
    from sentry.kernel.task import Task

DELIVER, DROP, KILL = "deliver", "drop", "kill"

# Signals whose default action is to ignore the signal or to stop/continue the task.
_DEFAULT_NOT_FATAL = {signal.SIGCHLD, signal.SIGURG, signal.SIGWINCH, signal.SIGCONT,
                      signal.SIGSTOP, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU}


def read_status(host_tid: int) -> bytes:
    """/proc/<tid>/status of a host task, read whole (OSError if the task is gone)."""
    fd = os.open(f"/proc/{host_tid}/status", os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 8192):
            chunks.append(chunk)
            if len(chunk) < 8192:
                break  # a single-record /proc file: a short read was all of it
    finally:
        os.close(fd)
    return b"".join(chunks)


def status_value(status: bytes, key: bytes) -> bytes:
    """The value of field `key` (b"SigIgn") of a status text; b"" if it has none."""
    i = status.find(b"\n" + key + b":")
    if i < 0:
        return b""
    i += len(key) + 2
    j = status.find(b"\n", i)
    return status[i:j if j >= 0 else len(status)].strip()


def _mask(status: bytes, key: bytes) -> int:
    return int(status_value(status, key) or b"0", 16)


def _masks(host_tid: int) -> tuple[int, int]:
    """(ignored, caught) signal masks from /proc/<tid>/status (the host keeps dispositions)."""
    st = read_status(host_tid)
    return _mask(st, b"SigIgn"), _mask(st, b"SigCgt")


def has_pending(host_tid: int, mask: int | None = None) -> bool:
    """Whether the host holds an unblocked signal for the thread (its own or its process's);
    unblocked by `mask` instead of the thread's own mask if given."""
    try:
        st = read_status(host_tid)
    except OSError:
        return False
    pnd = _mask(st, b"SigPnd") | _mask(st, b"ShdPnd")
    return bool(pnd & ~(_mask(st, b"SigBlk") if mask is None else mask))


def pending_in(host_tid: int, mask: int) -> bool:
    """Whether a signal of `mask` is pending for the thread or its process, blocked or not."""
    return bool(mask) and bool(pending_set(host_tid) & mask)


def pending_set(host_tid: int) -> int:
    """The signals pending for the thread or its process, blocked or not (0 if it is gone)."""
    pnd = 0
    try:
        with open(f"/proc/{host_tid}/status", "rb") as f:
            for line in f:
                if line.startswith((b"SigPnd:", b"ShdPnd:")):
                    pnd |= int(line.split()[1], 16)
    except OSError:
        return 0
    return pnd


_SYS_RT_SIGTIMEDWAIT, _EAGAIN, _EINTR = 128, 11, 4


def dequeue(t: Task, mask: int, scratch: int) -> bytes | None:
    """Takes the task's first pending signal of `mask` (thread-directed first, then
    process-directed, as Linux's dequeue_signal) with rt_sigtimedwait injected with a zero
    timeout; returns its siginfo_t (128 bytes, in the task's PID namespace) or None.

    `scratch` is 128 bytes of the task's writable memory (a read buffer): the set and the
    timeout are copied in by the host before the siginfo is written over them. If no
    signal was taken, the bytes are put back. A bad buffer is EFAULT (t.mem).
    """
    saved = t.mem.read(scratch, 24)
    t.mem.write(scratch, struct.pack("<QQQ", mask, 0, 0))
    r = t.kernel.platform.inject(t.ctx, _SYS_RT_SIGTIMEDWAIT, scratch, scratch, scratch + 8, 8)
    if r < 0:
        t.mem.write(scratch, saved)
        if r in (-_EAGAIN, -_EINTR):
            return None
        raise SentryError(f"injected rt_sigtimedwait failed: {r}")
    return t.mem.read(scratch, 128)


class SentryError(RuntimeError):
    """An injected call failed in a way that means a Sentry bug."""


def is_pending(host_tid: int, sig: int, shared: bool) -> bool:
    """Whether `sig` is pending for the process (`shared`) or for the thread itself."""
    try:
        st = read_status(host_tid)
    except OSError:
        return False
    return bool(_mask(st, b"ShdPnd" if shared else b"SigPnd") & 1 << (sig - 1))


def default_action_now(host_tid: int, sig: int) -> bool:
    """Whether `sig` would take its default action in the thread now: neither ignored,
    caught nor blocked (from the host's view)."""
    try:
        st = read_status(host_tid)
    except OSError:
        return False
    bit = 1 << (sig - 1)
    return not (_mask(st, b"SigIgn") | _mask(st, b"SigCgt") | _mask(st, b"SigBlk")) & bit


# Host tid -> the blocked mask it had before the host rt_sigtimedwait it is in: the
# kernel's real_blocked, which still counts as blocked (sig_ignored) but which /proc does
# not show, as the wait unblocks the signals it waits for (sys_signal.sys_rt_sigtimedwait).
real_blocked: dict[int, int] = {}


def ignored_or_blocked(host_tid: int, sig: int) -> tuple[bool, bool]:
    """(ignored, blocked) for `sig` in the thread, from the host's view (a mask a wait has
    lifted for now counting as blocked, as Linux's real_blocked does)."""
    try:
        st = read_status(host_tid)
    except OSError:
        return False, False
    bit = 1 << (sig - 1)
    blocked = _mask(st, b"SigBlk") | real_blocked.get(host_tid, 0)
    return bool(_mask(st, b"SigIgn") & bit), bool(blocked & bit)


def blocked_now(host_tid: int) -> int:
    """The thread's blocked mask (0 if it is gone)."""
    try:
        return _mask(read_status(host_tid), b"SigBlk")
    except OSError:
        return 0


# Signals Linux discards at once when their action is the default (sig_kernel_ignore).
_DEFAULT_IGNORED = (1 << signal.SIGCHLD - 1 | 1 << signal.SIGURG - 1 | 1 << signal.SIGWINCH - 1
                    | 1 << signal.SIGCONT - 1)


def interrupts_wait(host_tid: int, mask: int) -> bool:
    """Whether a pending signal ends a wait under the temporary `mask` of ppoll & co: one
    the mask does not block, leaving out those Linux would have discarded when they were
    sent (ignored, or default-ignored without a handler, and not blocked by the thread's own
    mask), which the host queues for a traced task all the same."""
    try:
        st = read_status(host_tid)
    except OSError:
        return False
    pnd = (_mask(st, b"SigPnd") | _mask(st, b"ShdPnd")) & ~mask
    discarded = (_mask(st, b"SigIgn") | _DEFAULT_IGNORED & ~_mask(st, b"SigCgt")) & ~_mask(
        st, b"SigBlk")
    return bool(pnd & ~discarded)


def only_discardable_pending(host_tid: int) -> bool:
    """Whether the thread's pending unblocked signals are all ones Linux would have
    discarded when sent (ignored, or default-ignored without a handler). The host queues
    them for a traced task all the same (its tracer may want them), so they wake its
    waits: rt_sigtimedwait then fails with EINTR where Linux would have waited on."""
    try:
        st = read_status(host_tid)
    except OSError:
        return False
    pnd = (_mask(st, b"SigPnd") | _mask(st, b"ShdPnd")) & ~_mask(st, b"SigBlk")
    discarded = _mask(st, b"SigIgn") | _DEFAULT_IGNORED & ~_mask(st, b"SigCgt")
    return bool(pnd) and not pnd & ~discarded


def ns_init_accepts(host_tid: int, sig: int) -> bool:
    """Whether init takes `sig` sent from inside its namespace: only with a handler, or
    blocked.

    (kill(2) from inside cannot end a namespace init with a default-action signal, not
    even SIGKILL; an ignored signal is discarded either way.)
    """
    if sig == 0:
        return True
    try:
        _ign, cgt = _masks(host_tid)
    except OSError:
        return False
    # A blocked signal is queued whatever its action (sig_ignored: the handler may change
    # before it is unblocked), so a signalfd or sigwait of init can take it.
    return bool(cgt & 1 << (sig - 1)) or ignored_or_blocked(host_tid, sig)[1]


def ns_init_action(host_tid: int, sig: int) -> str:
    """What Linux would do with `sig` arriving at a namespace init (see the module doc)."""
    if sig in _DEFAULT_NOT_FATAL:
        return DELIVER
    try:
        ign, cgt = _masks(host_tid)
    except OSError:  # the task is gone: nothing to deliver to
        return DROP
    bit = 1 << (sig - 1)
    if cgt & bit or ign & bit:
        return DELIVER
    code = ffi.new("int *")
    if lib.st_getsiginfo(host_tid, code) < 0:
        return DROP
    return KILL if code[0] > 0 else DROP  # si_code > 0: raised by the kernel (a fault)


_ERESTARTSYS, _ERESTARTNOINTR, _ENOSYS = 512, 513, 38
_MASK64 = (1 << 64) - 1


def restart_unreceived(platform, ctx) -> int | None:
    """At a signal-delivery-stop (seccomp platform): a notify-lane call the Sentry never
    received is restarted after the handler, as if the signal had come before the call.

    A signal that arrives while a call waits for the Sentry to *receive* its notification
    ends it in the host kernel with -ERESTARTSYS, and a handler without SA_RESTART would
    turn that into EINTR from a call that cannot fail so (getppid), or leak -512 from a
    negative number the kernel never restarts. Nothing ran, so the Sentry makes the
    kernel restart it (-ERESTARTNOINTR), or answers a negative number ENOSYS as it
    would have. The caller rules out calls the Sentry received (parked, or interrupted
    by the Sentry itself); allow-lane calls keep their own result (a host futex wait's
    -ERESTARTSYS is genuine). Returns the number of a call answered here (ENOSYS), if any.
    """
    regs = platform.getregs(ctx)
    if regs.rax != -_ERESTARTSYS & _MASK64:
        return None
    nr = regs.orig_rax & 0xFFFFFFFF
    nr = nr - (1 << 32) if nr >= 1 << 31 else nr
    args = (regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9)
    if lane_of(nr, args) != "notify":
        return None
    regs.rax = (-_ERESTARTNOINTR if nr >= 0 else -_ENOSYS) & _MASK64
    platform.setregs(ctx, regs)
    return nr if nr < 0 else None


def clear_handlers(t: Task) -> None:
    """clone3's CLONE_CLEAR_SIGHAND, in the new child before its first instruction (Linux's
    flush_signal_handlers): each caught signal back to SIG_DFL, ignored ones still SIG_IGN,
    their flags and masks cleared. The host keeps dispositions: the child runs one
    rt_sigaction per such signal, injected, with the new action written below its stack
    pointer (what lies there is free by the ABI). Differences: a signal at SIG_DFL keeps
    its flags and mask (/proc shows only which signals are caught and ignored)."""
    status = read_status(t.host_tid)
    caught = int(status_value(status, b"SigCgt"), 16)
    ignored = int(status_value(status, b"SigIgn"), 16)
    p = t.kernel.platform
    scratch = (p.getregs(t.ctx).rsp - 512) & ~15
    t.mem.write(scratch, bytes(32) + struct.pack("<Q", 1) + bytes(24))  # SIG_DFL, SIG_IGN
    for sig in range(1, 65):
        bit = 1 << (sig - 1)
        if (caught | ignored) & bit:
            act = scratch + 32 if ignored & bit else scratch
            rc = p.inject(t.ctx, SYS_rt_sigaction, sig, act, 0, 8)
            if rc < 0:
                raise RuntimeError(f"CLONE_CLEAR_SIGHAND: rt_sigaction({sig}): {-rc}")
    t.tg.nocldwait = False  # SA_NOCLDWAIT was a flag

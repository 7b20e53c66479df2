"""The siginfo the guest sees: the sender's pid and uid as Linux would report them.

The host's siginfo is wrong in two ways for the guest:
- A signal the Sentry sends (kill, tgkill, pidfd_send_signal from another process, SIGPIPE,
  the terminal's signals) comes from outside the sandbox's PID namespace: the host gives
  si_pid 0 (and a tgkill's SI_TKILL for a SIGPIPE Linux sends as SI_USER). The Sentry
  records, per target and signal, what Linux would say (`send`), and puts it back when
  the signal is taken (`guest_info`).
- A signal the host raises for a sandbox task (a kill or raise to its own process, the
  SIGCHLD of a child's exit) has the right si_pid but the host's uid; the guest's real
  uid of that process is put in its place.

`guest_info` serves the delivery to a handler (the signal-delivery-stop, where the Sentry
rewrites the siginfo with PTRACE_SETSIGINFO before the host builds the frame) and
signalfd's reads. Matching a record to a signal: the host queues a standard signal once
(later sends while it is pending are merged into it, as Linux does) and real-time ones in
order, so the oldest record of a target and signal is that of the signal taken. A send
that finds the signal still pending records nothing (it merges); records whose signal is
no longer pending at the next send are stale (the signal was taken without a stop: a
host sigwaitinfo, or discarded as ignored) and dropped.

rt_sigtimedwait runs on the host (the signals are queued there) and `after_wait` rewrites
the siginfo it wrote, at the call's exit stop.

Differences: a signal taken by the target between the Sentry's look at its pending set and
the send arrives without the record (si_pid 0); an rt_sigtimedwait without a siginfo
buffer drops the oldest record of the signal it took, which is the one of that signal when
the Sentry sent it (a host-raised signal of the same number, such as an itimer's SIGALRM,
may take another's record).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from sentry.kernel import signals
from sentry.platform.native import ffi, lib

if TYPE_CHECKING:
    from sentry.kernel.kernel import Kernel
    from sentry.kernel.task import Task

SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_SIGIO, SI_TKILL = 0, 0x80, -1, -2, -5, -6
SIGCHLD, SIGRTMIN = 17, 32
CLD_EXITED, CLD_STOPPED, CLD_CONTINUED = 1, 5, 6
SIGSTOP = 19
NSIG = 64
EINTR, ERESTARTNOINTR, MASK64 = 4, 513, (1 << 64) - 1
SIGINFO_SIZE = 128
QUEUED = (SI_QUEUE, -3, -4, -7, -60)  # the other user codes with si_pid (not SI_TIMER, SI_SIGIO)
KEPT = 64  # records per target and signal at most (the host's RLIMIT_SIGPENDING bounds it)

Sender = tuple[int, int, int]  # (si_code, si_pid, si_uid) in the guest's view


def user_sender(t: Task, code: int = SI_USER) -> Sender:
    """What kill(2) from `t` puts in the siginfo: its pid and real uid."""
    return code, t.tg.vpid, t.creds.uid


KERNEL_SENDER: Sender = (SI_KERNEL, 0, 0)  # SEND_SIG_PRIV: the kernel's own signals


def info_sender(info: bytes) -> Sender | None:
    """What a caller's own siginfo (pidfd_send_signal's) says in its si_pid and si_uid
    words, which the host zeroes; None for the codes whose layout has no si_pid."""
    code, pid, uid = struct.unpack_from("<i4xiI", info, 8)
    return None if code in (SI_TIMER, SI_SIGIO) else (code, pid, uid)


def send(k: Kernel, host_pid: int, host_tid: int, sig: int, sender: Sender | None,
         info: bytes | None = None) -> int:
    """Sends `sig` from the Sentry to the host process (host_tid 0) or one of its threads:
    with the siginfo `info` if given (the host zeroes its si_pid), else as kill/tgkill.
    Records `sender` for the guest's siginfo. Returns 0 or -errno."""
    key = (host_tid or host_pid, sig)
    records = k.signal_senders.get(key)
    merged = False
    if records and sender is not None:
        pending = signals.is_pending(host_tid or host_pid, sig, shared=not host_tid)
        if not pending:
            del k.signal_senders[key]  # stale: taken without a stop, or discarded
        merged = pending and sig < SIGRTMIN
    if info is not None:
        code = struct.unpack_from("<i", info, 8)[0]
        if code >= 0 or code == SI_TKILL:
            # A code the host takes only from the target itself (the caller signalling
            # its own process): sent as SI_QUEUE, the caller's code restored when taken.
            info = info[:8] + struct.pack("<i", SI_QUEUE) + info[12:]
        rc = lib.st_sigqueueinfo(host_pid, host_tid, sig, info)
    else:
        rc = lib.st_tgkill(host_pid, host_tid, sig) if host_tid else lib.st_kill(host_pid, sig)
    if rc == 0 and sender is not None and not merged:
        kept = k.signal_senders.setdefault(key, [])
        kept.append(sender)
        del kept[:-KEPT]
    return rc


def forget(k: Kernel, host_id: int) -> None:
    """A host thread (or process) is gone: its records go too (its id may come back)."""
    signals.real_blocked.pop(host_id, None)
    if k.signal_senders:
        for key in [key for key in k.signal_senders if key[0] == host_id]:
            del k.signal_senders[key]


def take_sender(k: Kernel, t: Task, sig: int) -> Sender | None:
    """The oldest recorded sender of `sig` to `t` (its thread first, then its process, the
    order the host dequeues in)."""
    for key in ((t.host_tid, sig), (t.tg.host_pid, sig)):
        senders = k.signal_senders.get(key)
        if senders:
            sender = senders.pop(0)
            if not senders:
                del k.signal_senders[key]
            return sender
    return None


def _uid_of(k: Kernel, t: Task, pid: int) -> int | None:
    """The guest's real uid of sandbox process `pid` (a zombie's as it exited; a child of
    `t`'s process that it has reaped since, as remembered)."""
    tg = k.thread_groups.get(pid)
    if tg is None:
        return t.tg.reaped_uids.get(pid)
    return tg.tasks[0].creds.uid if tg.tasks else tg.exit_uid


def _from_child(k: Kernel, t: Task, sig: int, code: int, pid: int) -> bool:
    """Whether the siginfo is a child's CLD_* report: SIGCHLD's, or the exit signal of a
    clone child (whose siginfo is the same; other signals with these codes are faults)."""
    if not CLD_EXITED <= code <= CLD_CONTINUED:
        return False
    if sig == SIGCHLD:
        return True
    child = k.thread_groups.get(pid)
    return child is not None and child.parent is t.tg and child.exit_signal == sig


def guest_info(k: Kernel, t: Task, info: bytes) -> bytes | None:
    """The siginfo `info` (the host's, of a signal taken by `t`) as the guest would see
    it; None if it is right as it is."""
    sig, _errno, code, pid, uid = struct.unpack_from("<iii4xiI", info, 0)
    host = (code, pid, uid)
    if pid == 0 and (code in (SI_USER, SI_TKILL) or code in QUEUED):
        sender = take_sender(k, t, sig)
        if sender is None:
            return None  # from outside the sandbox: 0, as Linux says for an ancestor
        code, pid, new_uid = sender
    elif code in (SI_USER, SI_TKILL) or _from_child(k, t, sig, code, pid):
        new_uid = _uid_of(k, t, pid)  # raised by the host for a sandbox task: the guest's uid
    else:
        return None
    status = _stop_signal(k, sig, code, pid, info)
    if new_uid is None or (code, pid, new_uid) == host and status is None:
        return None
    out = bytearray(info)
    struct.pack_into("<i4xiI", out, 8, code, pid, new_uid)
    if status is not None:
        struct.pack_into("<i", out, 24, status)
    return bytes(out)


def _stop_signal(k: Kernel, sig: int, code: int, pid: int, info: bytes) -> int | None:
    """A CLD_STOPPED report's stop signal when the Sentry stopped the child with SIGSTOP
    in place of another (jobctl.host_signal); None if the host's is right."""
    if sig != SIGCHLD or code != CLD_STOPPED or struct.unpack_from("<i", info, 24)[0] != SIGSTOP:
        return None
    child = k.thread_groups.get(pid)
    real = child and (child.stop_as or child.wait_stop)
    return real if real and real != SIGSTOP else None


def after_wait(k: Kernel, t: Task, info_addr: int) -> None:
    """At the exit stop of `t`'s host rt_sigtimedwait: the siginfo it wrote at info_addr
    in the guest's view; without a buffer, the taken signal's record is dropped. An EINTR
    that only signals Linux would have discarded caused (the host queues them for a
    tracee) becomes a restart of the call, so the wait goes on as on Linux (with its
    timeout counted again from the restart)."""
    signals.real_blocked.pop(t.host_tid, None)
    sig = k.platform.getregs(t.ctx).rax
    if sig == -EINTR & MASK64 and signals.only_discardable_pending(t.host_tid):
        lib.st_set_return(t.host_tid, -ERESTARTNOINTR, 0)
        return
    if not 0 < sig <= NSIG:
        return  # EAGAIN, EINTR, EFAULT, EINVAL: no signal taken
    if not info_addr:
        take_sender(k, t, sig)
        return
    info = t.mem.read_partial(info_addr, SIGINFO_SIZE)
    fixed = guest_info(k, t, info) if len(info) == SIGINFO_SIZE else None
    if fixed is not None:
        t.mem.write_partial(info_addr, fixed)


def fix_at_delivery(k: Kernel, t: Task) -> None:
    """At `t`'s signal-delivery-stop: the stopped signal's siginfo in the guest's view."""
    buf = ffi.new("char[]", SIGINFO_SIZE)
    if lib.st_siginfo(t.host_tid, 0, buf) < 0:
        return  # gone meanwhile: its exit event follows
    fixed = guest_info(k, t, ffi.buffer(buf)[:])
    if fixed is not None:
        lib.st_siginfo(t.host_tid, 1, ffi.from_buffer(fixed))

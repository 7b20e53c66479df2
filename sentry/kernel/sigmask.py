"""The temporary signal mask of ppoll, pselect6, epoll_pwait and epoll_pwait2.

Linux (kernel/signal.c set_user_sigmask, restore_saved_sigmask_unless; signal(7)): during
the wait the thread's mask is the call's. A signal that mask unblocks ends the wait with
EINTR, never restarted when a handler runs (poll and select return -ERESTARTNOHAND, epoll
-EINTR), and the handler runs with the temporary mask in force, its frame saving the
thread's own mask (TIF_RESTORE_SIGMASK), which sigreturn restores. A call that returns
for another reason (ready fds, a timeout) restores the own mask and delivers nothing that
only the temporary mask let through.

The host owns masks and frames, so the Sentry lets the host's own ppoll do the delivery.
The handler (sys_poll.py, sys_epoll.py) decides, as Linux does, from the call's mask and the
host's pending signals (signals.interrupts_wait); when a signal ends the wait it returns
INTERRUPTED, and the kernel completes the call at its ptrace stop (complete_stop):
1. at the call's entry, the registers become ppoll(NULL, 0, &zero, mask, 8): no fd, the
   stub's read-only zero timespec (native/stub.c), and the guest's own mask pointer (the
   guest could set that mask itself with the allow-listed rt_sigprocmask);
2. the host runs it (the TRACE lane's recheck allows it: a ppoll with a mask is a TRACE
   call): the signal is pending, so it sets the saved mask and returns -ERESTARTNOHAND;
3. at its exit stop the guest's registers come back (number and arguments, so that a
   restart re-runs the guest's call and the handler's frame holds the guest's values);
   the host then delivers under the temporary mask, and -ERESTARTNOHAND becomes EINTR if
   a handler runs, or the guest's call is made again if none does: Linux's rule for poll
   and select. epoll returns EINTR in both cases, so at the signal-delivery-stop that
   follows (at_delivery) its result is made -EINTR; with no such stop (the signal went to
   another thread of the process meanwhile) the call is made again, as on Linux, where
   only the thread the signal is for stops waiting.
If the signal is gone by step 2, the host's ppoll returns 0 and the guest's call is made
again (rewound), as a wait that goes on.

Where the call's entry is: the seccomp platform stops these calls at their seccomp stop
(filter.TRACE_IF_ARG_SET), kept there while they wait (kernel.LAZY_SKIP), so step 1 is done
there. The ptrace platform's SYSEMU stop has skipped the call: the kernel re-runs it
(rewound onto its syscall instruction), and on the way back to user space the host would
deliver a signal the own mask allows, with the call undone; so all signals are blocked on
the host (PTRACE_SETSIGMASK) until the re-run's entry stop, where step 1 puts the own mask
back. A signal-delivery-stop meanwhile (SIGSTOP cannot be blocked) drops the re-run and
puts the mask back (rerun_dropped): the guest's call is made again after it.

Differences: if the signal is gone before the host delivers it, epoll_pwait and
epoll_pwait2 wait again with their full timeout (ppoll and pselect6 have written the time
left back, as Linux).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sentry.abi.errno import SysError
from sentry.platform import base
from sentry.platform.native import ffi, lib

if TYPE_CHECKING:
    from sentry.kernel.kernel import Kernel
    from sentry.kernel.task import Task

# A handler's result: a signal the call's temporary mask unblocks ends it (never a value
# or an -errno; below base.SENTINELS like the kernel's other such results).
INTERRUPTED = -(1 << 59)

SYS_PSELECT6, SYS_PPOLL, SYS_EPOLL_PWAIT, SYS_EPOLL_PWAIT2 = 270, 271, 281, 441
_EPOLL = (SYS_EPOLL_PWAIT, SYS_EPOLL_PWAIT2)
_MASK_ARG = {SYS_PPOLL: "r10", SYS_EPOLL_PWAIT: "r8", SYS_EPOLL_PWAIT2: "r8"}
_ARGS = ("rdi", "rsi", "rdx", "r10", "r8")
_EINTR, _ERESTARTNOHAND = 4, 514
_M64 = (1 << 64) - 1
_ALL_SIGNALS = _M64  # the host leaves SIGKILL and SIGSTOP unblocked


class MaskedRerun:
    """A call being turned into the host's ppoll: the guest's number, its mask pointer, its
    argument registers (saved at the entry) and, on the ptrace platform, its own mask."""

    __slots__ = ("nr", "mask_ptr", "saved", "own_mask")

    def __init__(self, nr: int, mask_ptr: int) -> None:
        self.nr = nr
        self.mask_ptr = mask_ptr
        self.saved: tuple[int, ...] = ()
        self.own_mask = 0


def deliver(k: Kernel, t: Task) -> int:
    """complete_stop's INTERRUPTED: sets up the host's ppoll (see the module doc) and
    returns HOST with the exit-stop commit in place; if that cannot be done (a task
    stopped elsewhere, a bad pselect6 argument), -ERESTARTNOHAND: EINTR with the signal
    delivered under the own mask only, as before this module."""
    from sentry.kernel.kernel import HOST

    regs = ffi.new("struct st_regs *")
    if lib.st_getregs(t.host_tid, regs) < 0:
        return -_EINTR  # gone: its exit event follows
    nr = regs.orig_rax & 0xFFFFFFFF
    if nr == SYS_PSELECT6:
        try:
            mask_ptr = t.mem.read_u64(regs.r9)  # struct { const sigset_t *ss; size_t len; }
        except SysError:
            return -_ERESTARTNOHAND
    elif nr in _MASK_ARG:
        mask_ptr = getattr(regs, _MASK_ARG[nr])
    else:
        return -_ERESTARTNOHAND
    if not mask_ptr:
        return -_ERESTARTNOHAND
    run = MaskedRerun(nr, mask_ptr)
    if t.ctx.where == base.ST_AT_ENTRY:  # a seccomp stop: the call has not run
        if not _enter(t, run, regs):
            return -_EINTR
    elif k.platform.name == "ptrace":
        old = ffi.new("unsigned long long *")
        if lib.st_swap_sigmask(t.host_tid, _ALL_SIGNALS, old) < 0:
            return -_EINTR
        run.own_mask = old[0]
        t.masked_rerun = run  # step 1 at the re-run's entry (at_rerun_entry)
    else:
        return -_ERESTARTNOHAND
    t.commit = lambda: _at_exit(t, run)
    t.commit_at_exit = True
    return HOST


def _enter(t: Task, run: MaskedRerun, regs) -> bool:  # noqa: ANN001 - a cffi struct
    """Step 1: the call at its entry becomes the host's ppoll."""
    run.saved = tuple(getattr(regs, r) for r in _ARGS)
    regs.orig_rax = SYS_PPOLL
    regs.rdi, regs.rsi = 0, 0
    regs.rdx = t.kernel.platform.zero_timespec_addr
    regs.r10, regs.r8 = run.mask_ptr, 8
    if lib.st_setregs(t.host_tid, regs) < 0:
        return False
    t.ctx.rerun_call = (SYS_PPOLL, t.ctx.rerun_call[1])
    return True


def at_rerun_entry(t: Task) -> None:
    """The ptrace platform's re-run reached the call's entry stop: the own mask back, then
    step 1. If the task cannot be changed, the call is skipped (number -1, which the
    exit-stop commit turns into EINTR): the guest's own call never runs on the host."""
    run, t.masked_rerun = t.masked_rerun, None
    if run is None:
        return
    lib.st_swap_sigmask(t.host_tid, run.own_mask, ffi.new("unsigned long long *"))
    regs = ffi.new("struct st_regs *")
    if lib.st_getregs(t.host_tid, regs) < 0 or not _enter(t, run, regs):
        lib.st_set_return(t.host_tid, -38, 1)  # orig_rax = -1: nothing runs (ENOSYS)
        t.ctx.rerun_call = (-1, t.ctx.rerun_call[1])


def rerun_dropped(t: Task) -> None:
    """The ptrace platform dropped the re-run before its entry (a signal-delivery-stop):
    the own mask back; the guest's call is made again after the signal."""
    run, t.masked_rerun = t.masked_rerun, None
    if run is not None:
        lib.st_swap_sigmask(t.host_tid, run.own_mask, ffi.new("unsigned long long *"))


def at_delivery(t: Task) -> None:
    """At the signal-delivery-stop after an epoll wait's step 3: EINTR, never a restart,
    whether the signal runs a handler, is ignored or stops the task."""
    t.eintr_at_delivery = False
    regs = ffi.new("struct st_regs *")
    if lib.st_getregs(t.host_tid, regs) < 0:
        return
    if regs.rax == -_ERESTARTNOHAND & _M64 and regs.orig_rax in _EPOLL:
        regs.rax = -_EINTR & _M64
        lib.st_setregs(t.host_tid, regs)


def _at_exit(t: Task, run: MaskedRerun) -> None:
    """Step 3, at the host ppoll's exit stop: the guest's registers and result."""
    regs = ffi.new("struct st_regs *")
    if lib.st_getregs(t.host_tid, regs) < 0:
        return
    r = regs.rax - (1 << 64) if regs.rax >> 63 else regs.rax
    if run.saved:
        for name, value in zip(_ARGS, run.saved, strict=True):
            setattr(regs, name, value)
    regs.orig_rax = run.nr
    if r == -_ERESTARTNOHAND:  # the signal is delivered next, under the temporary mask
        t.eintr_at_delivery = run.nr in _EPOLL
    elif r == 0 and run.saved:  # nothing pending any more: the call is made again
        regs.rax = run.nr
        regs.rip -= 2
    else:
        regs.rax = -_EINTR & _M64
    lib.st_setregs(t.host_tid, regs)


__all__ = ["INTERRUPTED", "deliver", "at_rerun_entry", "rerun_dropped", "at_delivery"]

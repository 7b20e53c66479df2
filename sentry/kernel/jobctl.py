"""Job control: group stop and continue, and the terminal rules (SIGTTIN, SIGTTOU).

Group stop. The tasks are host threads, so the host stops them: a stop signal (SIGSTOP,
SIGTSTP, SIGTTIN, SIGTTOU with the default action) makes each thread of the group report
a group-stop (PTRACE_EVENT_STOP with the stop signal, PTRACE_SEIZE semantics). The Sentry
records it and leaves the thread stopped with PTRACE_LISTEN; a SIGCONT wakes a listening
thread, which then reports another PTRACE_EVENT_STOP (SIGTRAP: the group is no longer
stopped) and is resumed. The host also sends the guest parent its SIGCHLD (CLD_STOPPED /
CLD_CONTINUED, with SA_NOCLDSTOP honoured), since the parent is the real host parent and
the Sentry only the tracer. The Sentry keeps what wait4/waitid report: a stopped group's
stop signal until a WUNTRACED wait takes it, and a continued group's report until a
WCONTINUED wait takes it. A call parked in the Sentry does not take part in the stop
until a pending signal interrupts it (kernel.signals_sent), as a Linux task in an
interruptible sleep.

Terminals. `TtyJobControl` is the job-control state of one terminal (its session and
foreground process group) and the checks Linux's tty layer makes: TIOCSCTTY,
TIOCNOTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID, and a background process group's read
(SIGTTIN, or EIO) and its tcsetpgrp (SIGTTOU). Any terminal file (host-backed stdio,
devpts) holds one and calls it; the signals are sent as the Sentry sends every signal.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Any

from sentry.abi.errno import EINVAL, EIO, ENOTTY, EPERM, ESRCH, Restart
from sentry.kernel import siginfo, signals
from sentry.kernel.waiter import POLLIN
from sentry.kernel.creds import CAP_SYS_ADMIN, capable

if TYPE_CHECKING:
    from sentry.kernel.kernel import Kernel
    from sentry.kernel.task import Task
    from sentry.kernel.thread_group import ThreadGroup

STOP_SIGNALS = frozenset((signal.SIGSTOP, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU))
HOST_DISCARDED_STOPS = STOP_SIGNALS - {signal.SIGSTOP}
SIGCONT = signal.SIGCONT


# -- group stop --------------------------------------------------------------------------

def host_signal(tg: ThreadGroup, sig: int, host_tid: int = 0) -> int:
    """The signal the Sentry sends on the host for `sig` to `tg` (or its thread host_tid).

    The host discards SIGTSTP, SIGTTIN and SIGTTOU taking their default action in a
    process whose host process group is orphaned, and the sandbox's tasks are all in the
    Sentry's host group: orphaned whenever the Sentry's runner made it a session leader
    (setsid, a container shim), whatever the guest's own groups are. So such a stop goes
    as SIGSTOP, and the group-stop is reported as `sig` (task_stopped).

    The parent's SIGCHLD siginfo from the host carries SIGSTOP in si_status: the Sentry
    puts `sig` back when it is taken (siginfo.guest_info; not for a host sigwaitinfo).
    """
    if sig not in HOST_DISCARDED_STOPS or not signals.default_action_now(
            host_tid or tg.host_pid, sig):
        return sig
    tg.stop_as = sig
    return signal.SIGSTOP


def task_stopped(k: Kernel, t: Task, sig: int) -> None:
    """A thread reported its group-stop for `sig`; the group is stopped once all have."""
    t.group_stopped = True
    tg = t.tg
    if sig == signal.SIGSTOP and tg.stop_as is not None:
        sig = tg.stop_as
    if tg.stopped or not all(x.group_stopped for x in tg.tasks):
        return
    tg.stopped = True
    tg.stop_as = None
    tg.wait_stop = sig
    tg.wait_cont = False
    _notify_parent(tg)


def task_woken(k: Kernel, t: Task) -> None:
    """A thread left its group-stop (SIGCONT, from the Sentry or from outside)."""
    t.group_stopped = False
    group_continued(t.tg)


def group_continued(tg: ThreadGroup) -> None:
    """SIGCONT reached a stopped group: Linux continues it when the signal is sent."""
    tg.stop_as = None  # a stop still on its way is cancelled, as SIGCONT discards it
    if not tg.stopped:
        return
    tg.stopped = False
    tg.wait_stop = None
    tg.wait_cont = True
    _notify_parent(tg)


def _notify_parent(tg: ThreadGroup) -> None:
    if tg.parent is not None:
        tg.parent.child_waitq.notify(POLLIN)


# -- signals the terminal sends ----------------------------------------------------------

def signal_pgrp(k: Kernel, pgid: int, sig: int) -> None:
    """Sends `sig` to every process of group `pgid` as the Sentry sends signals."""
    for tg in list(k.thread_groups.values()):
        if not (tg.pgid == pgid and tg.tasks):
            continue
        host_sig = host_signal(tg, sig)
        sender = siginfo.KERNEL_SENDER if host_sig == sig else None
        if siginfo.send(k, tg.host_pid, 0, host_sig, sender) == 0:
            if sig == SIGCONT:
                group_continued(tg)
            k.signals_sent(tg)


def orphaned_pgrp(k: Kernel, pgid: int) -> bool:
    """POSIX: no member has a parent in another group of the same session."""
    for tg in k.thread_groups.values():
        if tg.pgid != pgid or not tg.tasks:
            continue
        p = tg.parent
        if p is not None and p.pgid != pgid and p.sid == tg.sid:
            return False
    return True


class TtyJobControl:
    """The job-control state of one terminal: its session and foreground process group."""

    def __init__(self, sid: int | None = None, pgrp: int | None = None) -> None:
        self.sid = sid  # the session it is the controlling terminal of (None: no session)
        self.pgrp = pgrp  # its foreground process group

    def attach(self, tg: ThreadGroup) -> None:
        """Makes the terminal the controlling one of `tg`'s session (the runtime hands the
        init its terminal this way), with `tg`'s group in the foreground."""
        self.sid, self.pgrp = tg.sid, tg.pgid

    def is_ctty_of(self, t: Task) -> bool:
        tg = t.tg
        ctty = tg.controlling_tty
        if ctty is None or getattr(ctty, "tty_job", None) is not self:
            return False
        if self.sid is None:
            self.attach(tg)  # handed over without attach(): the holder's session's now
        return self.sid == tg.sid

    def set_ctty(self, t: Task, tty: Any, steal: int) -> int:
        """TIOCSCTTY: the caller, a session leader without one, takes the terminal."""
        tg = t.tg
        if tg.sid != tg.vpid or tg.controlling_tty is not None:
            if tg.sid == tg.vpid and self.is_ctty_of(t):
                return 0  # a session leader asking again for its own terminal
            raise EPERM()
        if self.sid is not None:
            if not (steal == 1 and capable(t.creds, CAP_SYS_ADMIN)):
                raise EPERM()
            self._drop_session(t.kernel)
        self.sid, self.pgrp = tg.sid, tg.pgid
        for g in t.kernel.thread_groups.values():
            if g.sid == tg.sid:
                g.controlling_tty = tty
        return 0

    def _drop_session(self, k: Kernel) -> None:
        for g in k.thread_groups.values():
            if g.sid == self.sid:
                g.controlling_tty = None
        self.sid = self.pgrp = None

    def noctty(self, t: Task) -> int:
        """TIOCNOTTY: the caller gives up its controlling terminal (a session leader makes
        its whole session give it up, and its foreground group gets SIGHUP and SIGCONT)."""
        if not self.is_ctty_of(t):
            raise ENOTTY()
        tg = t.tg
        if tg.sid == tg.vpid:
            pgrp = self.pgrp
            self._drop_session(t.kernel)
            if pgrp is not None:
                signal_pgrp(t.kernel, pgrp, signal.SIGHUP)
                signal_pgrp(t.kernel, pgrp, SIGCONT)
        else:
            tg.controlling_tty = None
        return 0

    def get_pgrp(self, t: Task) -> int:
        """TIOCGPGRP."""
        if not self.is_ctty_of(t):
            raise ENOTTY()
        return self.pgrp if self.pgrp is not None else 0

    def get_sid(self, t: Task) -> int:
        """TIOCGSID."""
        if not self.is_ctty_of(t):
            raise ENOTTY()
        assert self.sid is not None
        return self.sid

    def set_pgrp(self, t: Task, pgid: int) -> int:
        """TIOCSPGRP (tcsetpgrp): a background caller gets SIGTTOU unless it ignores or
        blocks it."""
        if not self.is_ctty_of(t):
            raise ENOTTY()
        self.check_change(t)
        if pgid < 0:
            raise EINVAL()
        groups = [g for g in t.kernel.thread_groups.values() if g.pgid == pgid and g.tasks]
        if not groups:
            raise ESRCH()
        if any(g.sid != t.tg.sid for g in groups):
            raise EPERM()
        self.pgrp = pgid
        return 0

    def check_change(self, t: Task) -> None:
        """Linux's tty_check_change: a background group changing the terminal (tcsetpgrp,
        tcsetattr, a write with TOSTOP) gets SIGTTOU, or EIO if it is orphaned."""
        self._check_background(t, signal.SIGTTOU, allow_if_ignored=True)

    def check_write(self, t: Task, tty: Any) -> None:
        """A background group writing its controlling terminal gets SIGTTOU if the
        terminal has TOSTOP (`tty.tostop()`) and it neither ignores nor blocks SIGTTOU."""
        if self.in_foreground(t) or not tty.tostop():
            return
        self._check_background(t, signal.SIGTTOU, allow_if_ignored=True)

    def in_foreground(self, t: Task) -> bool:
        """Whether the terminal puts no background rule on `t` (not its terminal, or `t` is
        in its foreground group)."""
        return not self.is_ctty_of(t) or self.pgrp is None or t.tg.pgid == self.pgrp

    def check_read(self, t: Task) -> None:
        """A background group reading its controlling terminal gets SIGTTIN, or EIO when
        it ignores or blocks SIGTTIN or is orphaned."""
        self._check_background(t, signal.SIGTTIN, allow_if_ignored=False)

    def _check_background(self, t: Task, sig: int, allow_if_ignored: bool) -> None:
        if self.in_foreground(t):
            return
        ignored, blocked = signals.ignored_or_blocked(t.host_tid, sig)
        if ignored or blocked:
            if allow_if_ignored:
                return
            raise EIO()
        if orphaned_pgrp(t.kernel, t.tg.pgid):
            raise EIO()
        signal_pgrp(t.kernel, t.tg.pgid, sig)
        # The signal is pending for the caller: the host restarts the call after it (the
        # notify lane cancels the wait itself), or returns EINTR after a handler.
        raise Restart()

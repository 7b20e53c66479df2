"""Sending signals: the Sentry translates guest pids and sends with the host's tgkill.

Dispositions, masks and frames stay with the host (rt_sigaction & co. are allow-listed;
SIGCHLD's rt_sigaction passes here first, for SA_NOCLDWAIT). The receiver's siginfo names
the sender as Linux would (its guest pid and uid: sentry/kernel/siginfo.py).
"""

from __future__ import annotations

import struct

from sentry.abi.errno import EINVAL, EPERM, ESRCH
from sentry.kernel import jobctl, siginfo, signals
from sentry.kernel.args import Args
from sentry.kernel.kernel import HOST
from sentry.kernel.signals import ns_init_accepts
from sentry.kernel.task import Task
from sentry.kernel.thread_group import ThreadGroup
from sentry.kernel.creds import CAP_KILL, capable

NSIG = 64
SIGCONT = 18
SI_TKILL = -6
SIGINFO_SIZE = 128


def _check_sig(sig: int) -> None:
    if not 0 <= sig <= NSIG:
        raise EINVAL()


def _may_signal(t: Task, target: ThreadGroup) -> bool:
    """kill(2)'s permission rule: same real/effective uid as the target's real/saved, or
    CAP_KILL."""
    c, tc = t.creds, target.leader.creds if target.tasks else t.creds
    return capable(c, CAP_KILL) or {c.uid, c.euid} & {tc.uid, tc.suid} != set()


def _deliver(t: Task, tg: ThreadGroup, sig: int, task: Task | None = None,
             info: bytes | None = None) -> None:
    """Sends `sig` to process `tg` (or its thread `task`) on the host, with the caller's
    siginfo if given; the namespace init's rule, SIGCONT's continue and the interruption
    of parked calls follow."""
    if tg.vpid == 1 and not ns_init_accepts(task.host_tid if task else tg.host_pid, sig):
        return  # the namespace init's rule: discarded, and the call still succeeds
    if not sig:
        return
    tid = task.host_tid if task else 0
    if info is not None:
        rc = siginfo.send(t.kernel, tg.host_pid, tid, sig, siginfo.info_sender(info), info)
    else:
        host_sig = jobctl.host_signal(tg, sig, tid)
        sender = siginfo.user_sender(t, SI_TKILL if task else siginfo.SI_USER)
        rc = siginfo.send(t.kernel, tg.host_pid, tid, host_sig,
                          sender if host_sig == sig else None)
    if rc < 0:
        raise ESRCH()
    if sig == SIGCONT:
        jobctl.group_continued(tg)
    t.kernel.signals_sent(tg)


def _send_group(t: Task, tg: ThreadGroup, sig: int) -> None:
    if not _may_signal(t, tg):
        raise EPERM()
    _deliver(t, tg, sig)


def sys_kill(t: Task, a: Args) -> int:
    """Implements kill(2) for pids, process groups (0, -pgid) and -1 (all but init)."""
    pid, sig = a.int(0), a.int(1)
    _check_sig(sig)
    groups = t.kernel.thread_groups
    if pid > 0:
        tg = groups.get(pid)
        if tg is None or not tg.tasks:
            raise ESRCH()
        if tg is t.tg:
            return HOST  # to itself: the host delivers it before kill() returns, as Linux
        _send_group(t, tg, sig)
        return 0
    if pid == -1:
        targets = [g for g in groups.values() if g.vpid != 1 and g is not t.tg and g.tasks]
    else:
        pgid = t.tg.pgid if pid == 0 else -pid
        targets = [g for g in groups.values() if g.pgid == pgid and g.tasks]
    if not targets:
        raise ESRCH()
    sent = 0
    for g in targets:
        if _may_signal(t, g):
            _send_group(t, g, sig)
            sent += 1
    if not sent:
        raise EPERM()
    return 0


def _find_task(t: Task, tgid: int, tid: int) -> Task:
    for task in t.kernel.tasks.values():
        if task.vtid == tid and (tgid < 0 or task.tg.vpid == tgid):
            return task
    raise ESRCH()


def _send_task(t: Task, target: Task, sig: int) -> int:
    if target.tg is t.tg:
        return HOST  # a thread of its own process: the guest tid is the host's ns tid
    if not _may_signal(t, target.tg):
        raise EPERM()
    _deliver(t, target.tg, sig, target)
    return 0


def sys_tgkill(t: Task, a: Args) -> int:
    """Implements tgkill(2)."""
    tgid, tid, sig = a.int(0), a.int(1), a.int(2)
    _check_sig(sig)
    if tgid <= 0 or tid <= 0:
        raise EINVAL()
    return _send_task(t, _find_task(t, tgid, tid), sig)


def sys_tkill(t: Task, a: Args) -> int:
    """Implements tkill(2)."""
    tid, sig = a.int(0), a.int(1)
    _check_sig(sig)
    if tid <= 0:
        raise EINVAL()
    return _send_task(t, _find_task(t, -1, tid), sig)


def _user_siginfo(t: Task, addr: int, pid: int) -> bytes:
    """The caller's siginfo for rt_(tg)sigqueueinfo and pidfd_send_signal: one that claims
    to come from the kernel or from kill/tgkill (si_code >= 0 or SI_TKILL) may only go to
    the caller's own process (EPERM)."""
    info = t.mem.read(addr, SIGINFO_SIZE)
    code = struct.unpack_from("<i", info, 8)[0]
    if (code >= 0 or code == SI_TKILL) and pid != t.tg.vpid:
        raise EPERM()
    return info


def _group(t: Task, pid: int) -> ThreadGroup:
    tg = t.kernel.thread_groups.get(pid) if pid > 0 else None
    if tg is None or not tg.tasks:
        raise ESRCH()
    return tg


def sys_rt_sigqueueinfo(t: Task, a: Args) -> int:
    """Implements rt_sigqueueinfo(2)."""
    pid, sig = a.int(0), a.int(1)
    _user_siginfo(t, a.ptr(2), pid)  # EFAULT, EPERM
    tg = _group(t, pid)
    if tg is t.tg:
        return HOST  # to itself: delivered before the call returns, as Linux
    _check_sig(sig)
    if not _may_signal(t, tg):
        raise EPERM()
    return _queue_on_host(t, tg, sig)


def _queue_on_host(t: Task, tg: ThreadGroup, sig: int) -> int:
    """The checked call runs on the host as issued: sent from the Sentry, outside the PID
    namespace, the kernel would clear the caller's si_pid (an ancestor namespace's
    sender). The pids in its registers are the namespace's, which are the guest's, and the
    Sentry has found the target and checked the permission. The host resolves them in
    the caller's namespace, where only the sandbox's tasks live. The namespace init's
    rule is the host's own there."""
    if tg.vpid == 1 and not ns_init_accepts(tg.host_pid, sig):
        return 0
    t.commit = lambda: _queued(t, tg, sig)
    return HOST


def _queued(t: Task, tg: ThreadGroup, sig: int) -> None:
    if sig == SIGCONT:
        jobctl.group_continued(tg)
    # The host sends it only now: a call parked in the Sentry by the target is found by
    # the kernel's periodic look for pending signals (kernel.poll_parked_signals).


def sys_rt_tgsigqueueinfo(t: Task, a: Args) -> int:
    """Implements rt_tgsigqueueinfo(2)."""
    tgid, tid, sig = a.int(0), a.int(1), a.int(2)
    if tgid <= 0 or tid <= 0:
        raise EINVAL()
    _user_siginfo(t, a.ptr(3), tgid)
    target = _find_task(t, tgid, tid)
    if target.tg is t.tg:
        return HOST
    _check_sig(sig)
    if not _may_signal(t, target.tg):
        raise EPERM()
    return _queue_on_host(t, target.tg, sig)


SA_NOCLDWAIT = 2
SIGCHLD = 17
SIG_IGN = 1
_HANDLER_FLAGS = struct.Struct("<QQ")  # struct sigaction's sa_handler, sa_flags


def sys_rt_sigaction(t: Task, a: Args) -> int:
    """rt_sigaction(2) of SIGCHLD (the filter lets the host run signals 1..64 but SIGCHLD;
    any other number comes here, as the kernel may read it as SIGCHLD): the Sentry notes
    SA_NOCLDWAIT, which /proc does not show, and SIG_IGN, then the host runs the call."""
    act = a.ptr(1)
    if a.size(3) != 8:
        raise EINVAL()  # before anything, as Linux checks sigsetsize first
    if a.int(0) == SIGCHLD and act:
        handler, flags = _HANDLER_FLAGS.unpack(t.mem.read(act, 16))  # EFAULT: unchanged
        tg = t.tg

        def note() -> None:  # once the host takes the call (not if a signal restarts it)
            tg.nocldwait = bool(flags & SA_NOCLDWAIT)
            tg.sigchld_ign = handler == SIG_IGN

        t.commit = note
    return HOST


def sys_rt_sigtimedwait(t: Task, a: Args) -> int:
    """Implements rt_sigtimedwait(2): the host waits and takes the signal (signals are
    queued there); at the call's exit the siginfo it wrote names the sender as the guest
    sees it (siginfo.after_wait). Meanwhile the Sentry keeps the mask the wait lifted
    (signals.real_blocked): a namespace init still takes those signals, as on Linux."""
    info = a.ptr(1)
    signals.real_blocked[t.host_tid] = signals.blocked_now(t.host_tid)
    t.commit = lambda: siginfo.after_wait(t.kernel, t, info)
    t.commit_at_exit = True
    return HOST

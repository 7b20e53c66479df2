"""Sending signals: the Sentry translates guest pids and sends with the host's tgkill.

Dispositions, masks and frames stay with the host (rt_sigaction & co. are allow-listed).
"""

from __future__ import annotations

from sentry.abi.errno import EINVAL, EPERM, ESRCH
from sentry.kernel import jobctl
from sentry.kernel.args import Args
from sentry.kernel.kernel import HOST
from sentry.kernel.signals import ns_init_accepts
from sentry.kernel.task import Task
from sentry.kernel.thread_group import ThreadGroup
from sentry.platform.native import lib

NSIG = 64
SIGCONT = 18


def _check_sig(sig: int) -> None:
    if not 0 <= sig <= NSIG:
        raise EINVAL()


def _may_signal(t: Task, target: ThreadGroup) -> bool:
    """kill(2)'s permission rule: same real/effective uid as the target's real/saved, or root."""
    c, tc = t.creds, target.leader.creds if target.tasks else t.creds
    return c.euid == 0 or {c.uid, c.euid} & {tc.uid, tc.suid} != set()


def _send_group(t: Task, tg: ThreadGroup, sig: int) -> None:
    if not _may_signal(t, tg):
        raise EPERM()
    if tg.vpid == 1 and not ns_init_accepts(tg.host_pid, sig):
        return  # the namespace init's rule: discarded, and kill() still succeeds
    if sig and lib.st_kill(tg.host_pid, sig) < 0:
        raise ESRCH()
    if sig == SIGCONT:
        jobctl.group_continued(tg)
    if sig:
        t.kernel.signals_sent(tg)


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
    if target.tg.vpid == 1 and not ns_init_accepts(target.host_tid, sig):
        return 0
    if sig:
        rc = lib.st_tgkill(target.tg.host_pid, target.host_tid, sig)
        if rc < 0:
            raise ESRCH()
        if sig == SIGCONT:
            jobctl.group_continued(target.tg)
        t.kernel.signals_sent(target.tg)
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

"""Job control on a pty: the one place the tty code meets processes.

The rules are the kernel's (sentry/kernel/jobctl.py, TtyJobControl: controlling tty,
session, foreground group, SIGTTIN/SIGTTOU for background groups); each Terminal holds
one as `term.job`. This module adapts them to the pty's two sides, as Linux does: on
the master the pair's replica answers TIOCGPGRP/TIOCGSID without the caller having to own
it, and the line discipline's signals (ISIG, SIGWINCH) and the hang-up go to groups of
the kernel given at open (`term.kernel`). read/write find the replica's `tty_job` (the
FileDescription hook) for SIGTTIN and SIGTTOU.
"""

from __future__ import annotations

import signal
from typing import Any

from sentry.abi.errno import ENOTTY
from sentry.kernel import jobctl as kjob
from sentry.kernel import siginfo

TIOCSCTTY, TIOCGPGRP, TIOCSPGRP, TIOCNOTTY, TIOCGSID = 0x540E, 0x540F, 0x5410, 0x5422, 0x5429


def signal_foreground(term: Any, sig: int) -> None:
    """ISIG characters and TIOCSWINSZ: to the foreground process group."""
    pgrp = term.job.pgrp
    if pgrp is not None and term.kernel is not None:
        kjob.signal_pgrp(term.kernel, pgrp, sig)


def open_may_acquire(t: Any, term: Any) -> None:
    """An open without O_NOCTTY by a session leader with no tty takes a free terminal."""
    tg = t.tg
    if tg.sid == tg.vpid and getattr(tg, "controlling_tty", None) is None \
            and term.job.sid is None:
        term.job.set_ctty(t, term, 0)


def hangup(term: Any) -> None:
    """The master closed (tty_vhangup): the session gives the terminal up and its leader
    gets SIGHUP and SIGCONT."""
    job, k = term.job, term.kernel
    sid = job.sid
    if sid is None or k is None:
        return
    leader = k.thread_groups.get(sid)
    job._drop_session(k)
    if leader is not None and leader.tasks:
        for sig in (signal.SIGHUP, signal.SIGCONT):
            if siginfo.send(k, leader.host_pid, 0, sig, siginfo.KERNEL_SENDER) == 0:
                if sig == signal.SIGCONT:
                    kjob.group_continued(leader)
                k.signals_sent(leader)


def check_change(t: Any, term: Any) -> None:
    """A background group changing the terminal (tcsetattr, TOSTOP writes): SIGTTOU."""
    if term.job.pgrp is not None:
        term.job.check_change(t)


def ioctl(t: Any, term: Any, is_master: bool, cmd: int, arg: int) -> int:
    """TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID with Linux's errors."""
    job = term.job
    if cmd == TIOCSCTTY:
        return job.set_ctty(t, term, arg)
    if cmd == TIOCNOTTY:
        return job.noctty(t)
    if cmd == TIOCGPGRP:
        pgrp = (job.pgrp or 0) if is_master else job.get_pgrp(t)
        t.mem.write_i32(arg, pgrp)
        return 0
    if cmd == TIOCGSID:
        if is_master:
            if job.sid is None:
                raise ENOTTY()
            sid = job.sid
        else:
            sid = job.get_sid(t)
        t.mem.write_i32(arg, sid)
        return 0
    return job.set_pgrp(t, t.mem.read_i32(arg))  # TIOCSPGRP

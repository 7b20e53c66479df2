"""Job control on a terminal: controlling tty, session, foreground group, tty signals.

This is the one place where the tty code meets processes; everything it needs from the
kernel goes through three hooks, so the process side can own them:

- `tg.controlling_tty`: the Terminal (or host stream) /dev/tty opens; fork copies it,
  setsid clears it (sentry/kernel, sys_thread).
- `kernel.signal_pgrp(pgid, sig)` and `kernel.signal_tg(tg, sig)` if the kernel has them
  (wt-proc's job control); else `_send` below: the host kill of each thread group and
  `kernel.signals_sent(tg)`, as kill(2) does.
- Whoever ends a session leader calls `disassociate(term, on_exit=True)` (Linux's
  disassociate_ctty at exit).

Differences: SIGTTIN/SIGTTOU for background reads and writes are not generated (a
background group reads and writes as if in the foreground).
"""

from __future__ import annotations

from typing import Any

from sentry.abi.errno import EINVAL, ENOTTY, EPERM, ESRCH

SIGHUP, SIGCONT = 1, 18
TIOCSCTTY, TIOCGPGRP, TIOCSPGRP, TIOCNOTTY, TIOCGSID = 0x540E, 0x540F, 0x5410, 0x5422, 0x5429


# --- signals ----------------------------------------------------------------------------
def _groups(kernel: Any) -> list[Any]:
    return [g for g in getattr(kernel, "thread_groups", {}).values() if g.tasks]


def _send(kernel: Any, tg: Any, sig: int) -> None:
    hook = getattr(kernel, "signal_tg", None)
    if hook is not None:
        hook(tg, sig)
        return
    from sentry.platform.native import lib

    if lib.st_kill(tg.host_pid, sig) == 0:
        kernel.signals_sent(tg)


def signal_pgrp(kernel: Any, pgid: int, sig: int) -> None:
    """Sends sig to every process of the group (kill_pgrp)."""
    if kernel is None:
        return
    hook = getattr(kernel, "signal_pgrp", None)
    if hook is not None:
        hook(pgid, sig)
        return
    for tg in _groups(kernel):
        if tg.pgid == pgid:
            _send(kernel, tg, sig)


def signal_foreground(term: Any, sig: int) -> None:
    """The line discipline's ISIG characters and TIOCSWINSZ: to the foreground group."""
    if term.fg_pgrp is not None:
        signal_pgrp(term.kernel, term.fg_pgrp, sig)


# --- controlling terminal ---------------------------------------------------------------
def _is_ctty(t: Any, term: Any) -> bool:
    return getattr(t.tg, "controlling_tty", None) is term


def _acquire(t: Any, term: Any) -> None:
    tg = t.tg
    term.sid, term.fg_pgrp = tg.sid, tg.pgid
    tg.controlling_tty = term


def open_may_acquire(t: Any, term: Any) -> None:
    """An open without O_NOCTTY by a session leader with no tty takes a free terminal."""
    tg = t.tg
    if tg.sid == tg.vpid and getattr(tg, "controlling_tty", None) is None and term.sid is None:
        _acquire(t, term)


def _clear_session(term: Any) -> None:
    for tg in _groups(term.kernel):
        if getattr(tg, "controlling_tty", None) is term:
            tg.controlling_tty = None
    term.sid = term.fg_pgrp = None


def hangup(term: Any) -> None:
    """The master closed: the session leader gets SIGHUP and SIGCONT (tty_vhangup)."""
    if term.sid is None:
        return
    leader = next((g for g in _groups(term.kernel) if g.vpid == term.sid), None)
    _clear_session(term)
    if leader is not None:
        _send(term.kernel, leader, SIGHUP)
        _send(term.kernel, leader, SIGCONT)


def disassociate(term: Any, on_exit: bool) -> None:
    """The session leader gives the terminal up (TIOCNOTTY, or its exit): SIGHUP (and
    SIGCONT unless exiting) to the foreground group, then no process has it."""
    pgrp = term.fg_pgrp
    if pgrp is not None:
        signal_pgrp(term.kernel, pgrp, SIGHUP)
        if not on_exit:
            signal_pgrp(term.kernel, pgrp, SIGCONT)
    _clear_session(term)


def ioctl(t: Any, term: Any, is_master: bool, cmd: int, arg: int) -> int:
    """TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID with Linux's errors."""
    tg = t.tg
    if cmd == TIOCSCTTY:
        if _is_ctty(t, term):
            return 0
        if tg.sid != tg.vpid or getattr(tg, "controlling_tty", None) is not None:
            raise EPERM()
        if term.sid is not None:
            if arg != 1 or t.creds.euid != 0:
                raise EPERM()
            _clear_session(term)
        _acquire(t, term)
        return 0
    if cmd == TIOCNOTTY:
        if not _is_ctty(t, term):
            raise ENOTTY()
        if tg.sid == tg.vpid:
            disassociate(term, on_exit=False)
        else:
            tg.controlling_tty = None
        return 0
    # On the master the pair's replica answers and the caller need not own it (Linux).
    if cmd == TIOCGPGRP:
        if not is_master and not _is_ctty(t, term):
            raise ENOTTY()
        t.mem.write_i32(arg, term.fg_pgrp or 0)
        return 0
    if cmd == TIOCGSID:
        if (not is_master and not _is_ctty(t, term)) or term.sid is None:
            raise ENOTTY()
        t.mem.write_i32(arg, term.sid)
        return 0
    # TIOCSPGRP
    pgid = t.mem.read_i32(arg)
    if not _is_ctty(t, term) or term.sid != tg.sid:
        raise ENOTTY()
    if pgid < 0:
        raise EINVAL()
    members = [g for g in _groups(t.kernel) if g.pgid == pgid]
    if not members:
        raise ESRCH()
    if any(g.sid != tg.sid for g in members):
        raise EPERM()
    term.fg_pgrp = pgid
    return 0

"""O_ASYNC: the signal a file's owner gets when the file has news (Linux's fs/fcntl.c).

fcntl's F_SETOWN/F_SETOWN_EX name an owner (a thread, a process or a process group, kept
with the setter's uid and euid) and F_SETSIG a signal. O_ASYNC, set by F_SETFL or FIOASYNC,
registers the description with its file if the file has a fasync method
(`FileDescription.fasync`): pipes and FIFOs, sockets, terminals and inotify. Other files
keep the flag and never signal, as in Linux.

The files signal where Linux calls kill_fasync or sk_wake_async. A pipe: each read or
write of at least one byte tells the other side (even when it fails with EAGAIN), and the
last reader or writer going tells both. A socket (`Socket.wake_async`): data or a
connection arrived (POLL_IN), the peer shut down (POLL_IN, or POLL_HUP for both ways),
an error (POLL_ERR), room again after a send found none (POLL_OUT); out-of-band data
sends the owner SIGURG even without O_ASYNC. A terminal side: input it can now read (a
completed line in canonical mode) or output the replica wrote for the master (POLL_IN); a
hang-up ends the replicas' registrations. inotify is told by its wait queue (`hook`):
a queued event is POLL_IN.

Each registered description sends its owner SIGIO (F_SETSIG 0: a kernel signal, si_code
SI_KERNEL) or its F_SETSIG signal with si_code the reason (POLL_IN …), si_band and si_fd
(the fd O_ASYNC was set through), to every target its owner's credentials may signal
(sigio_perm). The registration ends with the description (its last close).

Differences: a task blocked reading a socket does not silence its POLL_IN (Linux's
SOCKWQ_ASYNC_WAITDATA); a terminal never sends POLL_OUT; host-backed files (host stdio,
hostinet sockets) keep the flag and never signal.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from sentry.abi.errno import EINVAL, ESRCH
from sentry.kernel import jobctl, siginfo
from sentry.kernel.process import task_by_vtid
from sentry.kernel.signals import ns_init_accepts
from sentry.kernel.waiter import (
    POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM, WaitQueue,
)
from sentry.vfs.constants import F_GETOWN, F_GETOWN_EX, F_GETSIG, F_SETOWN, F_SETOWN_EX, F_SETSIG

if TYPE_CHECKING:
    from sentry.kernel.kernel import Kernel
    from sentry.kernel.task import Task
    from sentry.kernel.thread_group import ThreadGroup

POLL_IN, POLL_OUT, POLL_MSG, POLL_ERR, POLL_PRI, POLL_HUP = 1, 2, 3, 4, 5, 6
_POLLRDBAND, _POLLWRBAND, _POLLMSG = 0x80, 0x200, 0x400
BAND = {  # si_band of each reason (band_table)
    POLL_IN: POLLIN | POLLRDNORM,
    POLL_OUT: POLLOUT | POLLWRNORM | _POLLWRBAND,
    POLL_MSG: POLLIN | POLLRDNORM | _POLLMSG,
    POLL_ERR: POLLERR,
    POLL_PRI: POLLPRI | _POLLRDBAND,
    POLL_HUP: POLLHUP | POLLERR,
}
F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP = 0, 1, 2
SIGURG, SIGIO, NSIG = 23, 29, 64
_STOPS = (19, 20, 21, 22)  # SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: job control's path
INT_MIN = -(1 << 31)


class Fown:
    """A description's owner, F_SETSIG signal and registration (Linux's fown_struct and
    fasync_struct)."""

    __slots__ = ("kind", "vpid", "uid", "euid", "signum", "fd", "kernel", "lists", "hooked")

    def __init__(self, kernel: Kernel) -> None:
        self.kind = F_OWNER_TID  # Linux's PIDTYPE_PID: what F_GETOWN_EX says of no owner
        self.vpid = 0
        self.uid = self.euid = 0
        self.signum = 0
        self.fd = -1  # the fd O_ASYNC was set through (si_fd); -1: not registered
        self.kernel = kernel
        self.lists: tuple[dict[int, Fown], ...] = ()
        self.hooked: WaitQueue | None = None

    def end(self) -> None:
        """Off every list: O_ASYNC cleared, or the description's last close."""
        for lst in self.lists:
            lst.pop(id(self), None)
        self.lists = ()
        if self.hooked is not None:
            self.hooked.unhook(id(self))
            self.hooked = None
        self.fd = -1


def state(t: Task, f: Any) -> Fown:
    if f.fown is None:
        f.fown = Fown(t.kernel)
    return f.fown


# --- fcntl ----------------------------------------------------------------------------
OWNER_CMDS = frozenset((F_SETOWN, F_GETOWN, F_SETSIG, F_GETSIG, F_SETOWN_EX, F_GETOWN_EX))


def owner_fcntl(t: Task, f: Any, cmd: int, arg: int) -> int:
    """fcntl's owner and signal commands."""
    if cmd == F_SETOWN:
        set_owner_legacy(t, f, _int(arg))
    elif cmd == F_GETOWN:
        return get_owner(f)
    elif cmd == F_SETSIG:
        set_sig(t, f, arg)
    elif cmd == F_GETSIG:
        return f.fown.signum if f.fown else 0
    elif cmd == F_SETOWN_EX:
        kind, who = struct.unpack("<ii", t.mem.read(arg, 8))
        set_owner(t, f, kind, who)
    else:
        t.mem.write(arg, get_owner_ex(f))
    return 0


def _int(arg: int) -> int:
    """fcntl's argument as the C int F_SETOWN takes."""
    arg &= 0xFFFFFFFF
    return arg - (1 << 32) if arg >> 31 else arg


def set_owner(t: Task, f: Any, kind: int, who: int) -> None:
    """F_SETOWN (kind None: the sign of `who` says) and F_SETOWN_EX: ESRCH for no such
    pid, EINVAL for a bad kind or INT_MIN."""
    if kind not in (F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP):
        raise EINVAL()
    if who and not _exists(t.kernel, who):
        raise ESRCH()
    own = state(t, f)
    own.kind, own.vpid = kind, who
    own.uid, own.euid = t.creds.uid, t.creds.euid


def set_owner_legacy(t: Task, f: Any, who: int) -> None:
    """F_SETOWN: a negative `who` names a process group."""
    if who == INT_MIN:
        raise EINVAL()
    set_owner(t, f, F_OWNER_PGRP if who < 0 else F_OWNER_PID, abs(who))


def _exists(k: Kernel, vpid: int) -> bool:
    """Whether a pid is in use: a task's, or a process group's or session's that has
    outlived its leader."""
    return task_by_vtid(k, vpid) is not None or any(
        g.pgid == vpid or g.sid == vpid for g in k.thread_groups.values() if g.tasks)


def get_owner(f: Any) -> int:
    """F_GETOWN: a process group as its negative id."""
    own = f.fown
    if own is None:
        return 0
    return -own.vpid if own.kind == F_OWNER_PGRP else own.vpid


def get_owner_ex(f: Any) -> bytes:
    """F_GETOWN_EX's struct f_owner_ex."""
    own = f.fown
    return struct.pack("<ii", own.kind, own.vpid) if own else bytes(8)


def set_sig(t: Task, f: Any, sig: int) -> None:
    """F_SETSIG: 0 (plain SIGIO) or a signal number."""
    if not 0 <= sig <= NSIG:
        raise EINVAL()
    state(t, f).signum = sig


def set_flag(t: Task, f: Any, fd: int, on: bool) -> None:
    """O_ASYNC changed on `f` through `fd` (F_SETFL, FIOASYNC): register or unregister."""
    if on:
        f.fasync(state(t, f), fd)
    elif f.fown is not None:
        unregister(f)


def register(own: Fown, fd: int, *lists: dict[int, Fown]) -> None:
    """Puts the description on its file's lists (a pipe's readers' or writers')."""
    own.fd = fd
    own.lists = lists
    for lst in lists:
        lst[id(own)] = own


def hook(own: Fown, fd: int, f: Any) -> None:
    """Registers through the file's wait queue (inotify): a notify of input the file now
    shows is POLL_IN."""
    own.fd = fd
    queue = f.wait_source()
    if isinstance(queue, WaitQueue) and own.hooked is None:
        own.hooked = queue
        queue.hook(id(own), lambda events: _input(own, f, events))


def _input(own: Fown, f: Any, events: int) -> bool:
    if events & (POLLIN | POLLRDNORM) and f.poll_events() & (POLLIN | POLLRDNORM):
        kill(own, POLL_IN)
    return False


def unregister(f: Any) -> None:
    """O_ASYNC cleared."""
    f.fown.end()


# --- sending --------------------------------------------------------------------------
def kill_all(lst: dict[int, Fown] | None, reason: int) -> None:
    """kill_fasync: every description registered on a file's list tells its owner."""
    if lst:
        for own in list(lst.values()):
            kill(own, reason)


def kill(own: Fown, reason: int) -> None:
    """The owner's targets get the signal, each if the owner's credentials allow."""
    if own.vpid and own.fd >= 0:
        for tg, task in _targets(own):
            _send(own, tg, task, own.signum or SIGIO, reason, plain=not own.signum)


def send_sigurg(f: Any) -> None:
    """Out-of-band data arrived (sk_send_sigurg): the owner gets SIGURG, O_ASYNC or not;
    an O_ASYNC description with an F_SETSIG signal gets that too, with POLL_PRI."""
    own = f.fown
    if own is None or not own.vpid:
        return
    for tg, task in _targets(own):
        _send(own, tg, task, SIGURG, POLL_PRI, plain=True)
    if own.fd >= 0 and own.signum:
        kill(own, POLL_PRI)


def _targets(own: Fown) -> list[tuple[ThreadGroup, Task | None]]:
    k = own.kernel
    if own.kind == F_OWNER_TID:
        task = task_by_vtid(k, own.vpid)
        return [(task.tg, task)] if task is not None else []
    if own.kind == F_OWNER_PID:
        tg = k.thread_groups.get(own.vpid)
        return [(tg, None)] if tg is not None and tg.tasks else []
    return [(g, None) for g in k.thread_groups.values() if g.pgid == own.vpid and g.tasks]


def _send(own: Fown, tg: ThreadGroup, task: Task | None, sig: int, reason: int,
          plain: bool) -> None:
    """One target: `sig` with a POLL_* siginfo, or (plain) as a kernel signal."""
    c = (task or tg.leader).creds
    if not (own.euid == 0 or own.euid in (c.suid, c.uid) or own.uid in (c.suid, c.uid)):
        return  # sigio_perm
    host_tid = task.host_tid if task else 0
    if tg.vpid == 1 and not ns_init_accepts(host_tid or tg.host_pid, sig):
        return
    k = own.kernel
    if plain or sig in _STOPS:
        host_sig = jobctl.host_signal(tg, sig, host_tid)
        sender = siginfo.KERNEL_SENDER if host_sig == sig else None
        rc = siginfo.send(k, tg.host_pid, host_tid, host_sig, sender)
    else:
        band = BAND[reason]
        info = struct.pack("<iiiiqi", sig, 0, reason, 0, band, own.fd).ljust(128, b"\0")
        rc = siginfo.send(k, tg.host_pid, host_tid, sig, (reason, band, 0), info)
    if rc == 0:
        k.signals_sent(tg)

"""prctl(2): the per-task and per-process knobs, kept in the Sentry (the guest's view)."""

from __future__ import annotations

from sentry.abi.errno import EINVAL, EPERM
from sentry.kernel.args import Args
from sentry.kernel.creds import (
    CAP_LAST_CAP, CAP_SETPCAP, SECBIT_KEEP_CAPS, SECBIT_NO_CAP_AMBIENT_RAISE, SECURE_ALL_BITS,
    SECURE_ALL_LOCKS, capable,
)
from sentry.kernel.task import Task

PR_SET_PDEATHSIG, PR_GET_PDEATHSIG = 1, 2
PR_GET_DUMPABLE, PR_SET_DUMPABLE = 3, 4
PR_GET_KEEPCAPS, PR_SET_KEEPCAPS = 7, 8
PR_SET_NAME, PR_GET_NAME = 15, 16
PR_GET_SECCOMP = 21
PR_CAPBSET_READ, PR_CAPBSET_DROP = 23, 24
PR_GET_SECUREBITS, PR_SET_SECUREBITS = 27, 28
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_IS_SET, PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_LOWER = 1, 2, 3
PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAP_OPS = (PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_CAPBSET_READ, PR_CAPBSET_DROP,
            PR_GET_SECUREBITS, PR_SET_SECUREBITS, PR_CAP_AMBIENT)
PR_GET_TIMERSLACK, PR_SET_TIMERSLACK = 30, 29
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39
TASK_COMM_LEN = 16
NSIG = 64


def sys_prctl(t: Task, a: Args) -> int:
    """Implements prctl(2).

    Differences: only the options listed here; the others return EINVAL as an unknown
    option does. PR_GET_SECCOMP reports the guest's own (no filter of its own) mode 0.
    """
    op, arg2 = a.int(0), a.ulong(1)
    p = t.prctl
    if op == PR_SET_NAME:
        name = t.mem.read_partial(arg2, TASK_COMM_LEN).split(b"\0", 1)[0]
        if not name and not t.mem.read_partial(arg2, 1):
            t.mem.read(arg2, 1)  # EFAULT for an unreadable pointer
        t.comm = name[: TASK_COMM_LEN - 1]
        return 0
    if op == PR_GET_NAME:
        t.mem.write(arg2, t.comm[: TASK_COMM_LEN - 1].ljust(TASK_COMM_LEN, b"\0"))
        return 0
    if op == PR_SET_PDEATHSIG:
        if arg2 > NSIG:
            raise EINVAL()
        p["pdeathsig"] = arg2
        return 0
    if op == PR_GET_PDEATHSIG:
        t.mem.write_i32(arg2, p.get("pdeathsig", 0))
        return 0
    if op == PR_GET_DUMPABLE:
        return t.tg.dumpable
    if op == PR_SET_DUMPABLE:
        if arg2 not in (0, 1):
            raise EINVAL()
        t.tg.dumpable = arg2
        return 0
    if op in _CAP_OPS:
        return _caps(t, op, arg2, a)
    if op in (PR_GET_NO_NEW_PRIVS, PR_GET_CHILD_SUBREAPER, PR_GET_TIMERSLACK):
        return _get_flag(t, op, arg2)
    if op in (PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER, PR_SET_TIMERSLACK):
        return _set_flag(t, op, arg2, a)
    if op == PR_GET_SECCOMP:
        return 0
    raise EINVAL()


def _caps(t: Task, op: int, arg2: int, a: Args) -> int:
    """The capability options (security/commoncap.c's cap_task_prctl)."""
    c = t.creds
    if op == PR_GET_KEEPCAPS:
        return int(bool(c.securebits & SECBIT_KEEP_CAPS))
    if op == PR_GET_SECUREBITS:
        return c.securebits
    if op == PR_CAPBSET_READ:
        if arg2 > CAP_LAST_CAP:
            raise EINVAL()
        return c.bounding >> arg2 & 1
    if op == PR_CAPBSET_DROP:
        if not capable(c, CAP_SETPCAP):
            raise EPERM()
        if arg2 > CAP_LAST_CAP:
            raise EINVAL()
        c.bounding &= ~(1 << arg2)
        return 0
    if op == PR_SET_KEEPCAPS:
        if arg2 > 1:
            raise EINVAL()
        if c.securebits & SECBIT_KEEP_CAPS << 1:  # locked
            raise EPERM()
        c.securebits = c.securebits & ~SECBIT_KEEP_CAPS | (SECBIT_KEEP_CAPS if arg2 else 0)
        return 0
    if op == PR_SET_SECUREBITS:
        locks = c.securebits & SECURE_ALL_LOCKS
        if ((locks >> 1) & (c.securebits ^ arg2) or locks & ~arg2
                or arg2 & ~(SECURE_ALL_LOCKS | SECURE_ALL_BITS) or not capable(c, CAP_SETPCAP)):
            raise EPERM()
        c.securebits = arg2
        return 0
    return _ambient(t, arg2, a.ulong(2), a.ulong(3) | a.ulong(4))


def _ambient(t: Task, op: int, cap: int, rest: int) -> int:
    """PR_CAP_AMBIENT: a capability is raised only if permitted and inheritable."""
    c = t.creds
    if op == PR_CAP_AMBIENT_CLEAR_ALL:
        if cap or rest:
            raise EINVAL()
        c.ambient = 0
        return 0
    if cap > CAP_LAST_CAP or rest:
        raise EINVAL()
    if op == PR_CAP_AMBIENT_IS_SET:
        return c.ambient >> cap & 1
    if op == PR_CAP_AMBIENT_RAISE:
        if (not (c.permitted & c.inheritable) >> cap & 1
                or c.securebits & SECBIT_NO_CAP_AMBIENT_RAISE):
            raise EPERM()
        c.ambient |= 1 << cap
        return 0
    if op == PR_CAP_AMBIENT_LOWER:
        c.ambient &= ~(1 << cap)
        return 0
    raise EINVAL()


def _get_flag(t: Task, op: int, arg2: int) -> int:
    if op == PR_GET_CHILD_SUBREAPER:
        t.mem.write_i32(arg2, int(t.tg.subreaper))
        return 0
    if op == PR_GET_TIMERSLACK:
        return t.prctl.get("timerslack", 50000)
    return int(t.prctl.get("no_new_privs", 0))


def _set_flag(t: Task, op: int, arg2: int, a: Args) -> int:
    if op == PR_SET_CHILD_SUBREAPER:
        t.tg.subreaper = bool(arg2)
    elif op == PR_SET_TIMERSLACK:
        t.prctl["timerslack"] = arg2 or 50000
    else:  # PR_SET_NO_NEW_PRIVS: one-way, and the unused arguments must be zero
        if arg2 != 1 or a.ulong(2) or a.ulong(3) or a.ulong(4):
            raise EINVAL()
        t.prctl["no_new_privs"] = 1
    return 0

"""Builds the workload's seccomp filter with libseccomp (libseccomp.py) and exports it as BPF.

seccomp platform, three lanes:
  ALLOW  the allow-list (sentry/platform/allowlist.py), argument conditions included;
  TRACE  calls that need the task's registers or injected host calls (the table's TRACE
         entries, execve/execveat, the clone family): a ptrace stop for the Sentry;
  NOTIFY everything else (the default action): SECCOMP_RET_USER_NOTIF, answered by the
         Sentry with a value and memory copies, ENOSYS for calls it does not know.
ptrace platform: every call already stops under PTRACE_SYSEMU before the filter runs, so
the filter only sees calls the Sentry itself runs in the task: it allows them, traces
execveat (the launch hand-over) and notifies the doorbell (fd donation).
Both kill the process for any other ABI (i386 via int 0x80, x32).
"""

from __future__ import annotations

import functools
import struct

from sentry.abi.sysno import NAMES, NUMBERS
from sentry.platform.allowlist import ALLOW, is_allowed
from sentry.syscalls.table import TABLE, TRACE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from sentry.platform import libseccomp as sc


def _sc():
    """libseccomp, loaded on first use (a runtime does it while it waits for `start`, in
    Platform.prepare, not on the way to it)."""
    from sentry.platform import libseccomp

    return libseccomp

# Calls that always take the TRACE lane on the seccomp platform (register surgery).
TRACED = ("execve", "execveat", "clone", "clone3", "fork", "vfork")

# TRACE-lane calls that with argument 0 equal to 0 take the NOTIFY lane: the Sentry
# answers them from a notification alone. brk(0) is the query of the break each program's
# start makes (sys_brk returns the break with no host call): a notification, not a stop.
NOTIFY_IF_ARG0_ZERO = ("brk",)

# TRACE-lane calls that take the NOTIFY lane when the fd at the given argument index is in
# MIRROR_FDS: a file mmap by a guest fd number the Sentry can make the host's too (it puts
# its host fd for the file there, then lets the host run the call as issued: sys_mmap), so
# no stop. 0 and 1 are the donation and stub slots (native/trap.h); the numbers above need
# a host RLIMIT_NOFILE the task may not have; those, and 2, stay stops (the donation slot).
MIRROR_FDS = (3, 1023)
NOTIFY_IF_FD_IN = {"mmap": 4}
# ...except a shared writable file mapping, which always stops: the host runs a notified
# call as issued on whatever file the number holds when it runs, and a racing thread of
# the same fd table could have put another file there, one the guest opened read-only
# but whose host fd (a tmpfs memfd, a rw bind's) is writable. What is left to such a race
# is a private or read-only mapping of a file the guest opened for reading.
MAP_SHARED_BIT, MAP_ANONYMOUS_BIT, PROT_WRITE_BIT = 0x01, 0x20, 0x02

# TRACE-lane calls that take the NOTIFY lane when none of the given bits of the argument
# at the given index is set: a clone that needs no register surgery (CLONE_PIDFD,
# CLONE_PTRACE and CLONE_UNTRACED are dropped from the call the host runs) and is no vfork
# is checked by the Sentry from a notification and run by the host as issued; its child
# comes as the ptrace event as before (sys_clone).
CLONE_NEEDS_STOP = 0x1000 | 0x2000 | 0x4000 | 0x800000  # PIDFD, PTRACE, VFORK, UNTRACED
NOTIFY_IF_BITS_CLEAR = {"clone": (0, CLONE_NEEDS_STOP)}

# Calls that take the TRACE lane when the argument at the given index is set: the waits
# with a temporary signal mask (ppoll, pselect6's {mask, size} pointer, epoll_pwait/2). A
# signal ending them is delivered by the host under that mask from a ptrace stop
# (sentry/kernel/sigmask.py); without one they stay notifications.
TRACE_IF_ARG_SET = {"ppoll": 3, "pselect6": 5, "epoll_pwait": 4, "epoll_pwait2": 4}

# The doorbell: an injected call answered with SECCOMP_IOCTL_NOTIF_ADDFD to move a host
# fd into the task. Its number is only ever seen by the filter when the Sentry injects it.
DOORBELL = NUMBERS["dup"]


def _cond(c) -> sc.Arg:
    sc = _sc()
    if c.op == "masked_eq":
        return sc.Arg(c.index, sc.MASKED_EQ, c.mask, c.value)
    if c.op == "ne":
        return sc.Arg(c.index, sc.NE, c.value)
    return sc.Arg(c.index, sc.LE, c.value)


def _negate(c) -> sc.Arg:
    sc = _sc()
    if c.op == "masked_eq":
        # Only single-bit masks are used: "bit clear" is the complement of "bit set".
        assert c.value == c.mask and bin(c.mask).count("1") == 1, c
        return sc.Arg(c.index, sc.MASKED_EQ, c.mask, 0)
    if c.op == "ne":
        return sc.Arg(c.index, sc.EQ, c.value)
    return sc.Arg(c.index, sc.GT, c.value)


def _new_filter(default) -> sc.SyscallFilter:
    sc = _sc()
    f = sc.SyscallFilter(default)
    f.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)
    return f


@functools.cache
def traced_numbers() -> frozenset[int]:
    """The calls of the TRACE lane (fixed once the table is built: computed once, as
    lane_of() runs for every injected call)."""
    return frozenset({NUMBERS[n] for n in TRACED}
                     | {nr for nr, e in TABLE.items() if e.lane == TRACE})


def seccomp_filter() -> sc.SyscallFilter:
    """The seccomp platform's filter: ALLOW / TRACE / NOTIFY (default)."""
    sc = _sc()
    f = _new_filter(sc.NOTIFY)
    traced = traced_numbers()
    # (Numbers, not names: a libseccomp older than the kernel knows no mseal.)
    for nr, e in ALLOW.items():
        if e.cond is None:
            f.add_rule(sc.ALLOW, nr)
        else:
            for c in e.conds:  # any of them
                f.add_rule(sc.ALLOW, nr, _cond(c))
            # The rest of that call goes to the Sentry: NOTIFY is the default already
            # (libseccomp refuses a rule with the default action).
            if nr in traced:
                (c,) = e.conds  # (a union's complement is no single rule)
                index = NOTIFY_IF_FD_IN.get(NAMES[nr])
                if index is None:
                    f.add_rule(sc.TRACE(0), nr, _negate(c))
                else:  # the fd outside MIRROR_FDS (compared on all 64 bits)
                    lo, hi = MIRROR_FDS
                    f.add_rule(sc.TRACE(0), nr, _negate(c), sc.Arg(index, sc.LT, lo))
                    f.add_rule(sc.TRACE(0), nr, _negate(c), sc.Arg(index, sc.GT, hi))
                    # a shared writable file mapping: a stop whatever the fd
                    f.add_rule(sc.TRACE(0), nr,
                               sc.Arg(3, sc.MASKED_EQ, MAP_SHARED_BIT | MAP_ANONYMOUS_BIT,
                                      MAP_SHARED_BIT),
                               sc.Arg(2, sc.MASKED_EQ, PROT_WRITE_BIT, PROT_WRITE_BIT))
    for name, index in TRACE_IF_ARG_SET.items():
        f.add_rule(sc.TRACE(0), name, sc.Arg(index, sc.NE, 0))
    for nr in sorted(traced - set(ALLOW)):
        if NAMES[nr] in NOTIFY_IF_ARG0_ZERO:
            f.add_rule(sc.TRACE(0), NAMES[nr], sc.Arg(0, sc.NE, 0))
        elif NAMES[nr] in NOTIFY_IF_BITS_CLEAR:
            index, bits = NOTIFY_IF_BITS_CLEAR[NAMES[nr]]
            for bit in (1 << i for i in range(64) if bits >> i & 1):  # any of them: a stop
                f.add_rule(sc.TRACE(0), NAMES[nr], sc.Arg(index, sc.MASKED_EQ, bit, bit))
        else:
            f.add_rule(sc.TRACE(0), NAMES[nr])
    return f


def ptrace_filter() -> sc.SyscallFilter:
    """The ptrace platform's filter. PTRACE_SYSEMU stops every call before the filter runs,
    so the filter sees only calls the host is made to run: the allow-list runs, the
    doorbell notifies, and everything else (the Sentry's injected calls, clone re-runs, the
    launcher's execveat) stops in the TRACE lane, where the Sentry checks it is the call it
    expects (defence in depth: a call that slipped through would stop there too)."""
    sc = _sc()
    f = _new_filter(sc.TRACE(0))
    for nr, e in ALLOW.items():
        if e.cond is None:
            f.add_rule(sc.ALLOW, nr)
        else:
            for c in e.conds:  # any of them
                f.add_rule(sc.ALLOW, nr, _cond(c))
    f.add_rule(sc.NOTIFY, NAMES[DOORBELL])
    return f


def export_bpf(f: sc.SyscallFilter) -> bytes:
    return f.export_bpf_bytes()


_LD_ABS, _JEQ, _RET = 0x20, 0x15, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_RET|K
_AUDIT_ARCH_X86_64, _RET_ALLOW = 0xC000003E, 0x7FFF0000


def batch_prefix(sys_ip: int, slots: tuple[int, int]) -> bytes:
    """BPF run before the filter proper: mmap and close of the two batch slots (the fd in
    a4, a0) from the stub's batch syscall instruction at `sys_ip` are allowed, with no
    stop. The slots hold the exec's program and loader only while the batch runs, when the
    task is the stub alone in a fresh address space and fd table (native/trap.h
    ST_EXEC_SLOT); at any other time they are empty and such a call fails with EBADF.
    Everything else falls through to the filter proper (which checks the arch again)."""
    allow, out = 19, 20
    # (code, target if true, target if false, k): targets are instruction indexes
    prog = [
        (_LD_ABS, 0, 0, 4),  # 0: arch
        (_JEQ, 2, out, _AUDIT_ARCH_X86_64),
        (_LD_ABS, 0, 0, 8),  # 2: instruction_pointer, low word
        (_JEQ, 4, out, sys_ip & 0xFFFFFFFF),
        (_LD_ABS, 0, 0, 12),  # 4: high word
        (_JEQ, 6, out, sys_ip >> 32),
        (_LD_ABS, 0, 0, 0),  # 6: nr
        (_JEQ, 8, 13, NUMBERS["mmap"]),
        (_LD_ABS, 0, 0, 16 + 8 * 4 + 4),  # 8: the fd (a4), high word 0
        (_JEQ, 10, out, 0),
        (_LD_ABS, 0, 0, 16 + 8 * 4),
        (_JEQ, allow, 12, slots[0]),
        (_JEQ, allow, out, slots[1]),
        (_JEQ, 14, out, NUMBERS["close"]),  # 13: A is still nr
        (_LD_ABS, 0, 0, 16 + 4),  # 14: the fd (a0), high word 0
        (_JEQ, 16, out, 0),
        (_LD_ABS, 0, 0, 16),
        (_JEQ, allow, 18, slots[0]),
        (_JEQ, allow, out, slots[1]),
        (_RET, 0, 0, _RET_ALLOW),  # 19
    ]
    code = b""
    for i, (op, jt, jf, k) in enumerate(prog):
        if op == _JEQ:
            jt, jf = jt - i - 1, jf - i - 1
        code += struct.pack("<HBBI", op, jt, jf, k)
    return code


def export_pfc(f: sc.SyscallFilter) -> str:
    """The filter as libseccomp's pseudo-code (for --debug and the threat model)."""
    import tempfile

    with tempfile.TemporaryFile("w+") as t:
        f.export_pfc(t)
        t.seek(0)
        return t.read()


def lane_of(nr: int, args: tuple[int, ...] | list[int]) -> str:
    """Which lane the seccomp filter sends this call to: "allow", "trace" or "notify"."""
    if is_allowed(nr, args):
        return "allow"
    clear = NOTIFY_IF_BITS_CLEAR.get(NAMES.get(nr, ""))
    if clear is not None and not args[clear[0]] & clear[1]:
        return "notify"
    fd_index = NOTIFY_IF_FD_IN.get(NAMES.get(nr, ""))
    if fd_index is not None and MIRROR_FDS[0] <= args[fd_index] <= MIRROR_FDS[1] and not (
            args[3] & (MAP_SHARED_BIT | MAP_ANONYMOUS_BIT) == MAP_SHARED_BIT
            and args[2] & PROT_WRITE_BIT):
        return "notify"
    index = TRACE_IF_ARG_SET.get(NAMES.get(nr, ""))
    if index is not None:
        return "trace" if args[index] else "notify"
    if nr not in traced_numbers() or (args[0] == 0 and NAMES[nr] in NOTIFY_IF_ARG0_ZERO):
        return "notify"
    return "trace"

"""The allow-list: the only syscalls of the workload that the host runs directly.

Each entry acts solely on the caller's own memory, CPU state, signal state or lifetime, so
it is safe with *any* arguments, or is made so by the argument condition beside it (which
the BPF filter checks; a call that fails the condition goes to the Sentry instead).
Everything else — every call that names a path, an fd, a pid, a socket, an id or another
process's clock — is implemented by the Sentry or returns ENOSYS.

The seccomp platform runs these on the host at native speed (the ALLOW lane). The ptrace
platform stops on every call and re-executes these on the host itself.
"""

from __future__ import annotations

import itertools

from sentry.record import dataclass

from sentry.abi.sysno import NUMBERS

MAP_ANONYMOUS = 0x20
CLOCK_MAX = 11  # CLOCK_TAI; negative ids encode another process's CPU clock
SIGCHLD = 17
_U64 = (1 << 64) - 1


@dataclass(frozen=True)
class Cond:
    """`(arg[index] & mask) <op> value` on the full 64-bit register, as libseccomp compares."""

    index: int
    op: str  # "masked_eq", "le" or "ne"
    value: int
    mask: int = 0


@dataclass(frozen=True)
class Allowed:
    name: str
    reason: str
    cond: Cond | tuple[Cond, ...] | None = None  # a tuple: any of them (one rule each)

    @property
    def nr(self) -> int:
        return NUMBERS[self.name]

    @property
    def conds(self) -> tuple[Cond, ...]:
        """The conditions, any of which lets the call run on the host; () for none."""
        c = self.cond
        return () if c is None else c if isinstance(c, tuple) else (c,)


# Signal numbers 1..64 but SIGCHLD, as the register holds them: the kernel reads the int
# in the low 32 bits, so a value with any high bit set could name SIGCHLD too and is not
# among them. Each condition is one BPF rule; any of them allows the call.
_SIGNALS_BUT_SIGCHLD = (
    Cond(0, "le", SIGCHLD - 1),  # 0..16 (0 is EINVAL)
    Cond(0, "masked_eq", 18, ~1 & _U64),  # 18, 19
    Cond(0, "masked_eq", 20, ~3 & _U64),  # 20..23
    Cond(0, "masked_eq", 24, ~7 & _U64),  # 24..31
    Cond(0, "masked_eq", 32, ~31 & _U64),  # 32..63
    Cond(0, "masked_eq", 64, _U64),  # 64
)

_ENTRIES = [
    Allowed("mmap", "anonymous memory in the caller's own address space; a file mapping "
            "goes to the Sentry", Cond(3, "masked_eq", MAP_ANONYMOUS, MAP_ANONYMOUS)),
    Allowed("mprotect", "changes protections of the caller's own mappings"),
    Allowed("munmap", "removes the caller's own mappings"),
    Allowed("mremap", "moves or resizes the caller's own mappings"),
    Allowed("msync", "flushes the caller's own mappings to files the Sentry already let it map"),
    Allowed("mincore", "reports residency of the caller's own pages"),
    Allowed("madvise", "advice on the caller's own pages (the privileged advices need "
            "capabilities the task does not have)"),
    Allowed("mlock", "locks own pages, bounded by RLIMIT_MEMLOCK"),
    Allowed("munlock", "unlocks own pages"),
    Allowed("mlock2", "locks own pages (or as they fault in), bounded by RLIMIT_MEMLOCK"),
    Allowed("mlockall", "locks the caller's own address space, bounded by RLIMIT_MEMLOCK"),
    Allowed("munlockall", "unlocks the caller's own address space"),
    Allowed("mseal", "seals the caller's own mappings against change (an exec still "
            "replaces the address space)"),
    Allowed("pkey_alloc", "a protection key of the caller's own address space"),
    Allowed("pkey_free", "frees one of the caller's own protection keys"),
    Allowed("pkey_mprotect", "mprotect of the caller's own mappings with one of its keys"),
    Allowed("membarrier", "memory barriers across the caller's own threads (GLOBAL is an RCU "
            "grace period; GLOBAL_EXPEDITED reaches only processes that registered for it)"),
    Allowed("personality", "the caller's own execution domain (its address-space layout and "
            "exec flags; MMAP_PAGE_ZERO's page-zero mapping still meets mmap_min_addr)"),
    Allowed("rt_sigaction", "the caller's own signal dispositions; SIGCHLD's pass by the "
            "Sentry first, which notes SIG_IGN and SA_NOCLDWAIT (its children are never "
            "zombies), as does any number the kernel may truncate to SIGCHLD",
            _SIGNALS_BUT_SIGCHLD),
    Allowed("rt_sigprocmask", "the calling thread's own signal mask"),
    Allowed("rt_sigreturn", "returns from the caller's own signal frame"),
    Allowed("rt_sigpending", "reads the caller's own pending set"),
    Allowed("rt_sigsuspend", "waits for a signal to the caller"),
    Allowed("sigaltstack", "the calling thread's own alternate signal stack"),
    Allowed("pause", "waits for a signal to the caller"),
    Allowed("sched_yield", "gives up the caller's own CPU time"),
    Allowed("nanosleep", "sleeps the calling thread"),
    Allowed("clock_nanosleep", "sleeps the calling thread on a system-wide or its own clock",
            Cond(0, "le", CLOCK_MAX)),
    Allowed("clock_gettime", "reads a system-wide clock or the caller's own CPU clock",
            Cond(0, "le", CLOCK_MAX)),
    Allowed("clock_getres", "resolution of a system-wide or the caller's own clock",
            Cond(0, "le", CLOCK_MAX)),
    Allowed("gettimeofday", "reads the real-time clock"),
    Allowed("time", "reads the real-time clock"),
    Allowed("restart_syscall", "restarts the caller's own interrupted sleep"),
    Allowed("futex", "waits and wakes on the caller's own memory"),
    Allowed("futex_waitv", "futex waits on several words of the caller's own memory"),
    Allowed("futex_wake", "futex2 wake on the caller's own memory"),
    Allowed("futex_wait", "futex2 wait on the caller's own memory"),
    Allowed("futex_requeue", "futex2 requeue between words of the caller's own memory"),
    Allowed("set_robust_list", "records the calling thread's own robust futex list"),
    Allowed("get_robust_list", "reads the calling thread's own robust futex list head (pid 0; "
            "another thread's goes to the Sentry)", Cond(0, "masked_eq", 0, 0xFFFFFFFF)),
    Allowed("set_tid_address", "records the calling thread's own clear-tid address; returns "
            "its tid in the sandbox's PID namespace, which is its guest tid"),
    Allowed("rseq", "registers the calling thread's own restartable-sequence area"),
    Allowed("arch_prctl", "the calling thread's own FS/GS base and CPU state"),
    Allowed("getrandom", "fills the caller's own buffer with random bytes"),
    Allowed("alarm", "arms the calling process's own real-time timer (SIGALRM to itself)"),
    Allowed("setitimer", "the calling process's own interval timers (signals to itself)"),
    Allowed("getitimer", "reads the calling process's own interval timers"),
    Allowed("getrusage", "the caller's own, its threads' or its reaped children's usage"),
    Allowed("times", "the caller's own and its reaped children's CPU times"),
    Allowed("getcpu", "reports which CPU the caller runs on"),
    Allowed("exit", "ends the calling thread"),
    Allowed("exit_group", "ends the calling process"),
]

ALLOW: dict[int, Allowed] = {e.nr: e for e in _ENTRIES}


def is_allowed(nr: int, args: tuple[int, ...] | list[int]) -> bool:
    """Whether a call with these registers is in the host lane (mirrors the BPF filter)."""
    e = ALLOW.get(nr)
    if e is None:
        return False
    if e.cond is None:
        return True
    return any(map(_holds, e.conds, itertools.repeat(args)))


def _holds(c: Cond, args: tuple[int, ...] | list[int]) -> bool:
    if c.op == "masked_eq":
        return args[c.index] & c.mask == c.value
    if c.op == "ne":
        return args[c.index] != c.value
    return args[c.index] <= c.value

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

from sentry.record import dataclass

from sentry.abi.sysno import NUMBERS

MAP_ANONYMOUS = 0x20
CLOCK_MAX = 11  # CLOCK_TAI; negative ids encode another process's CPU clock
SIGCHLD = 17


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
    cond: Cond | None = None

    @property
    def nr(self) -> int:
        return NUMBERS[self.name]


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
            "Sentry first, which notes SA_NOCLDWAIT (its children are never zombies)",
            Cond(0, "ne", SIGCHLD)),
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
    c = e.cond
    if c is None:
        return True
    if c.op == "masked_eq":
        return args[c.index] & c.mask == c.value
    if c.op == "ne":
        return args[c.index] != c.value
    return args[c.index] <= c.value

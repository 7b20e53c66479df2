"""Thread groups (guest processes): ids, parentage, limits and the memory-map state the
Sentry keeps for them (brk)."""

from __future__ import annotations

import resource
from sentry.record import dataclass, field
from typing import TYPE_CHECKING, Any

from sentry.kernel.waiter import WaitQueue

if TYPE_CHECKING:
    from sentry.kernel.task import Task

# RLIMIT_* numbers (asm-generic/resource.h), in order.
RLIMIT_NAMES = (
    "CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS",
    "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME",
)
RLIM_INFINITY = (1 << 64) - 1
RLIMIT_FSIZE = 1
RLIMIT_STACK = 3
RLIMIT_NPROC = 6
RLIMIT_NOFILE = 7


def host_rlimits() -> list[tuple[int, int]]:
    """The Sentry's own limits, the guest's starting view (as runc passes them on)."""
    out = []
    for number in range(len(RLIMIT_NAMES)):
        soft, hard = resource.getrlimit(number)
        out.append((RLIM_INFINITY if soft < 0 else soft, RLIM_INFINITY if hard < 0 else hard))
    return out


@dataclass
class MM:
    """The part of an address space the Sentry emulates: the program break, and the AIO
    contexts whose rings it holds (sentry/kernel/aio.py; ring address -> context)."""

    brk_start: int = 0
    brk: int = 0
    aio: dict[int, Any] = field(default_factory=dict)


REAPED_KEPT = 64  # reaped children whose uid a thread group remembers


@dataclass(eq=False)  # identity: thread groups live in sets (children)
class ThreadGroup:
    vpid: int
    ppid: int
    host_pid: int
    pgid: int = 0
    sid: int = 0
    tasks: list[Task] = field(default_factory=list)
    exe_path: bytes = b""
    cmdline: bytes = b""
    environ: bytes = b""
    rlimits: list[tuple[int, int]] = field(default_factory=host_rlimits)
    mm: MM = field(default_factory=MM)
    exit_status: int | None = None  # the wait status once every task is gone (a zombie)
    exit_uid: int = 0  # its real uid then (a zombie's siginfo)
    killed_by: int | None = None  # a signal the Sentry killed it for (reported instead of 9)
    # exit_status is the one the host reports to the host parent too: its leader exited
    # last, and no signal of the Sentry's replaced the host's (sys_wait4 lets the host reap)
    host_status: bool = False
    parent: ThreadGroup | None = None  # the guest parent (getppid)
    parent_thread: Task | None = None  # the parent's thread that made it (__WNOTHREAD)
    host_parent: ThreadGroup | None = None  # whose host zombie it becomes
    children: set[ThreadGroup] = field(default_factory=set)
    child_waitq: WaitQueue = field(default_factory=WaitQueue)
    exit_waitq: WaitQueue = field(default_factory=WaitQueue)  # its pidfds: it has exited
    seq: int = 0  # creation order among the host parent's children (oldest first)
    exit_signal: int = 17  # sent to the host parent at its exit (clone's low byte; SIGCHLD)
    dumpable: int = 1
    controlling_tty: Any = None  # the terminal file /dev/tty opens (None: ENXIO)
    subreaper: bool = False
    execed: bool = False  # it ran execve since its fork (setpgid's EACCES; PF_FORKNOEXEC)
    nocldwait: bool = False  # SIGCHLD's SA_NOCLDWAIT (sys_rt_sigaction): no zombie children
    # SIGCHLD set to SIG_IGN: every change passes by sys_rt_sigaction (the filter sends it
    # every number the kernel reads as SIGCHLD), which notes it; None until then, /proc says
    # (process.ignores_sigchld). Not kept while dispositions are shared with another process
    # (CLONE_SIGHAND without CLONE_THREAD: the other's calls change them too).
    sigchld_ign: bool | None = None
    sighand_shared: bool = False
    # Job control (jobctl.py): stopped as a group; the reports wait4/waitid have not taken.
    stopped: bool = False
    wait_stop: int | None = None  # the stop signal, until a WUNTRACED wait takes it
    stop_as: int | None = None  # a SIGSTOP the Sentry sent in place of this (jobctl.host_signal)
    wait_cont: bool = False  # continued, until a WCONTINUED wait takes it
    posix_timers: dict[int, Any] = field(default_factory=dict)  # timer_create (posix_timers.py)
    # Real uids of its latest reaped children (vpid -> uid): a SIGCHLD taken after the wait
    # (rt_sigtimedwait, a handler run late) still names the child's uid (siginfo.py).
    reaped_uids: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.pgid = self.pgid or self.vpid
        self.sid = self.sid or self.vpid

    def note_reaped(self, child: ThreadGroup) -> None:
        self.reaped_uids[child.vpid] = child.exit_uid
        if len(self.reaped_uids) > REAPED_KEPT:
            del self.reaped_uids[next(iter(self.reaped_uids))]

    @property
    def leader(self) -> Task:
        return self.tasks[0]

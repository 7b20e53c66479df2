"""A task: one guest thread, as the Sentry sees it.

Guest TIDs are the host kernel's TIDs inside the sandbox's PID namespace (the first task
is 1). Using the namespace's own numbers keeps every value the host writes on the
guest's behalf right without translation: set_tid_address, CLONE_*SETTID, robust and PI
futex owner words. The Sentry maps them to host TIDs (its own namespace) to trace them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sentry.abi.errno import EAGAIN
from sentry.kernel.creds import Credentials
from sentry.kernel.memory import Memory
from sentry.kernel.sched import SchedAttrs

if TYPE_CHECKING:
    from sentry.kernel.fd_table import FdTable
    from sentry.kernel.fs_context import FsContext
    from sentry.kernel.kernel import Kernel
    from sentry.kernel.thread_group import ThreadGroup


class Task:
    """One guest thread. Handlers receive it as `t`."""

    def __init__(
        self,
        kernel: Kernel,
        host_tid: int,
        vtid: int,
        tg: ThreadGroup,
        mem: Memory,
        fds: FdTable,
        fs: FsContext,
        creds: Credentials,
    ) -> None:
        self.kernel = kernel
        self.host_tid = host_tid
        self.vtid = vtid
        self.tg = tg
        self.mem = mem
        self.fds = fds
        self.fs = fs
        self.creds = creds
        self.ctx: Any = None  # the platform's per-task state (registers, stop kind)
        self.exit_status: int | None = None
        self.comm = b""  # the task's name (PR_SET_NAME, /proc/<pid>/comm)
        self.sched = SchedAttrs()  # nice value and policy (sentry/kernel/sched.py)
        # The SysV semaphores' SEM_UNDO list (ipc_sem.SemUndo), shared by CLONE_SYSVSEM
        # (made by the first such clone, as Linux's copy_semundo, or the first SEM_UNDO).
        self.semundo: Any = None
        self.prctl: dict[str, int] = {}  # prctl knobs of the guest's view
        # Set by a handler whose effect must happen only if its answer reaches the task.
        self.commit: Callable[[], None] | None = None
        self.rerun_commit: Callable[[], None] | None = None  # ptrace: after the host ran it
        # Set with `commit` by a TRACE-lane handler answering HOST: commit once the host has
        # run the call (at its exit stop, on both platforms), to look at what it did.
        self.commit_at_exit = False
        # seccomp: the Sentry answered a parked call -ERESTARTSYS (signals.restart_unreceived)
        self.restart_answered = False
        # The temporary signal mask of a waiting ppoll, pselect6 or epoll_pwait(2), and the
        # ptrace platform's re-run that makes such a call the host's ppoll (sigmask.py).
        self.wait_sigmask: int | None = None
        self.masked_rerun: Any = None
        self.eintr_at_delivery = False  # an epoll wait ended so: EINTR at the delivery stop
        self.group_stopped = False  # in a group-stop, left there by PTRACE_LISTEN (jobctl.py)

    @property
    def vpid(self) -> int:
        return self.tg.vpid

    async def wait_on(self, source: Any, events: int) -> None:
        """Parks the calling syscall until `source` (a host fd or a WaitQueue) may be ready.

        Raises an interrupting SysError (EINTR / restart) if a signal arrives first.
        """
        await self.kernel.wait(self, source, events)

    async def io_wait(self, f: Any, events: int, op: Callable[[], int]) -> int:
        """Runs `op` until it stops raising EAGAIN, waiting on `f`'s readiness between tries.

        `f` must offer `nonblocking` (bool) and `wait_source()` (a host fd or a WaitQueue).
        A non-blocking file gets the EAGAIN back, as Linux does.
        """
        while True:
            try:
                return op()
            except EAGAIN:
                if f.nonblocking:
                    raise
            await self.wait_on(f.wait_source(), events)

    def __repr__(self) -> str:
        return f"Task(vtid={self.vtid}, host={self.host_tid})"

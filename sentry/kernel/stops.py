"""The Sentry's handling of ptrace stops: a trapped syscall at its seccomp or syscall stop,
and every other stop the host reports (exec, clone and group-stop events, signal-delivery
stops, a re-run call's exit). A mixin of the Kernel (sentry/kernel/kernel.py), which runs
the loop; the methods here read and write its state.
"""

from __future__ import annotations

import errno
import logging
import os
import signal

from sentry.abi.sysno import NAMES
from sentry.kernel import jobctl, process, siginfo, sigmask, signals
from sentry.kernel.task import Task
from sentry.platform import base
from sentry.platform.allowlist import is_allowed
from sentry.platform.base import AUDIT_ARCH_X86_64, TaskDied
from sentry.platform.native import lib

log = logging.getLogger("sentry")
trace_log = logging.getLogger("sentry.strace")

PTRACE_EVENT_EXEC = 4
CLONE_EVENTS = (1, 2, 3)  # PTRACE_EVENT_FORK, _VFORK, _CLONE
PTRACE_EVENT_STOP = 128
SIGSYS = 31
EINTR_ERRNO = 4

# A handler's result meaning "the handler resumed the task itself" (execve, exit paths).
DETACHED = -(1 << 62)
# A handler's result meaning "the host runs this call as the task issued it": for calls
# whose every argument is a register and whose effect is on the caller itself, such as a
# signal to its own process, which must arrive before the call returns (kill(2)).
HOST = -(1 << 61)


def _is_x32(nr: int) -> bool:
    """The x32 ABI's bit, as the seccomp filter sees it (-1 and friends are just ENOSYS)."""
    return 0x40000000 <= nr & 0xFFFFFFFF < 0x80000000


class SentryBug(Exception):
    """An unexpected exception inside the Sentry; the sandbox is stopped."""


class TraceStops:
    """The Kernel's ptrace-stop half."""

    def on_trace_stop(self, v: tuple) -> None:
        """A ptrace syscall stop; `v` is the event as base.EVENT_LAYOUT reads it."""
        tid, kind = v[base.EV_TID], v[base.EV_KIND]
        t = self.tasks.get(tid)
        if t is None:
            raise SentryBug(f"syscall stop of unknown host tid {tid}")
        nr, args, ip = v[base.EV_NR], v[:6], v[base.EV_IP]
        ctx = t.ctx
        if ctx.rerun == "entry":
            ctx.rerun = None
            if (nr, ip) == ctx.rerun_call:  # the re-run call's own entry (ptrace platform)
                ctx.rerun = "running"
                if t.masked_rerun is not None:
                    sigmask.at_rerun_entry(t)
                self.platform.resume(ctx)
                return
            sigmask.rerun_dropped(t)
            # Not the call being re-run (a signal handler's, say): a guest call like any
            # other, trapped and skipped below; it must never run on the host as is.
        ctx.rerun_call = (nr, ip)
        t.eintr_at_delivery = False  # no signal came after an epoll wait's host ppoll
        if kind == base.EV_SYSCALL and (v[base.EV_ARCH] != AUDIT_ARCH_X86_64 or _is_x32(nr)):
            self.kill_foreign_abi(t, nr, v[base.EV_ARCH])
            return
        plan = self.launching.pop(tid, None)
        if plan is not None:
            # The launcher's execveat of the stub: r9 carries its listener fd.
            self.platform.take_listener(tid, args[5])
            self.exec_pending[tid] = plan
            self.platform.resume_cont(ctx)
            return
        if kind == base.EV_SECCOMP and self.platform.name == "ptrace":
            # Only a call the Sentry lets the host run reaches the filter's TRACE lane here.
            if ctx.rerun == "running" and nr == ctx.rerun_call[0]:
                self.platform.resume(ctx)
                return
            log.error("task %d ran %s on the host unasked: killed", t.vtid, NAMES.get(nr, nr))
            lib.st_kill(t.tg.host_pid, signal.SIGKILL)
            return
        ctx.where = base.ST_AT_ENTRY if kind == base.EV_SECCOMP else base.ST_AT_OTHER
        if kind == base.EV_SYSCALL and is_allowed(nr, args):
            if self.strace:
                trace_log.info("[%d] %s (host)", t.vtid,
                               self._strace.format_call(NAMES.get(nr, str(nr)), args, t.mem))
            if self.report:
                self.report.add(nr, "host", 0)
            # Through the loop, not synchronously: the call may block (nanosleep, futex,
            # pause) until another task acts.
            try:
                self.platform.rerun_start(ctx)
            except OSError as e:
                if e.errno != errno.ESRCH:  # killed meanwhile: its exit event follows
                    raise
            return
        try:
            r = self.syscall(t, nr, args, None)
        except TaskDied as d:
            self.on_exit(t, d.status)
            return
        if r is not None:
            self.complete_stop(t, r)

    def complete_stop(self, t: Task, result: int) -> None:
        if result == sigmask.INTERRUPTED:  # the host delivers under the call's mask
            result = sigmask.deliver(self, t)
        commit, t.commit = t.commit, None
        at_exit, t.commit_at_exit = t.commit_at_exit, False
        if result == HOST and (at_exit or self.platform.name == "ptrace"):
            # The host runs the call through the loop: commit when it has run (its exit
            # stop), not if a signal makes it trap again first.
            t.rerun_commit = commit
        elif commit is not None:
            commit()  # a stopped task cannot lose its answer
        if result == DETACHED:
            return
        try:
            if result == HOST and at_exit:
                self.platform.rerun_start(t.ctx, watch_exit=True)
                return
            if result == HOST:
                self.platform.run_trapped_on_host(t.ctx)
                return
            self.platform.answer_stop(t.ctx, result)
        except OSError as e:
            if e.errno != 3:  # ESRCH: died meanwhile; its exit event follows
                raise

    def kill_foreign_abi(self, t: Task, nr: int, arch: int) -> None:
        """An i386 (int 0x80) or x32 call: the task dies as seccomp would kill it (SIGSYS)."""
        log.warning("task %d made a syscall of another ABI (arch %#x, nr %#x): killed",
                    t.vtid, arch, nr)
        t.tg.killed_by = SIGSYS  # reported as killed by SIGSYS
        lib.st_kill(t.tg.host_pid, signal.SIGKILL)
        self.platform.resume(t.ctx)

    def on_wait(self, tid: int, status: int) -> None:
        t = self.tasks.get(tid)
        if t is None:
            if os.WIFSTOPPED(status) and status >> 16 == PTRACE_EVENT_STOP:
                process.on_first_stop(self, tid)  # a new task, before its parent's event
            else:
                log.debug("wait event %#x for unknown host tid %d", status, tid)
            return
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            self.on_exit(t, status)
            return
        if not os.WIFSTOPPED(status):
            return
        sig, event = os.WSTOPSIG(status), status >> 16
        plans = self.exec_pending
        if sig == signal.SIGTRAP and event == PTRACE_EVENT_EXEC and tid in plans:
            # execve overwrites rax after this stop: finish at its syscall-exit stop.
            self.platform.resume_syscall(t.ctx)
            return
        if sig == signal.SIGTRAP | 0x80 and tid in plans:
            from sentry.kernel import loader

            plan = plans.pop(tid)
            try:
                if t is self.init and self.on_init_stub is not None:
                    self.on_init_stub(t)
                if t is self.init and self.hold_init:
                    self._held = (t, plan)  # stays stopped until release_init()
                    return
                loader.load(t, plan)
            except TaskDied as d:
                self.on_exit(t, d.status)
                return
            self.platform.resume(t.ctx)
            return
        if sig == signal.SIGTRAP | 0x80 and t.ctx.rerun:  # ptrace platform, a re-run call
            if t.ctx.rerun == "running":
                t.ctx.rerun = None
                if t.ctx.rewritten is not None:  # a clone3 the host refused
                    self.platform.put_back(t.ctx, t.ctx.rewritten)
                    t.ctx.rewritten = None
                commit, t.rerun_commit = t.rerun_commit, None
                if commit is not None:
                    commit()
            else:
                t.ctx.rerun = "entry"
            self.platform.resume(t.ctx)
            return
        if sig == signal.SIGTRAP and event in CLONE_EVENTS:
            process.on_clone_event(self, t)
            return
        if event == PTRACE_EVENT_STOP:
            if not t.ctx.started:
                process.on_first_stop(self, tid)
                return
            request = self.stop_requests.pop(t, None)
            if request is not None:  # asked for with request_stop
                t.ctx.where = base.ST_AT_OTHER
                try:
                    request()
                except TaskDied as d:
                    self.on_exit(t, d.status)
                    return
            self.cancel_if_interrupted(t)
            if sig in jobctl.STOP_SIGNALS:  # a group-stop: stay stopped until SIGCONT
                jobctl.task_stopped(self, t, sig)
                self.platform.listen(t.ctx)
                return
            if t.group_stopped:
                jobctl.task_woken(self, t)
            self.platform.resume(t.ctx)
            return
        if sig == signal.SIGTRAP and event:
            self.platform.resume(t.ctx)  # other ptrace events: carry on
            return
        # A signal-delivery-stop: a parked notify call was cancelled by the kernel.
        if t.restart_answered:
            t.restart_answered = False  # the Sentry itself ended its call with a restart
        elif self.platform.name == "seccomp" and t not in self.parked:
            answered = signals.restart_unreceived(self.platform, t.ctx)
            if answered is not None and self.report:
                self.report.add(answered, "notify", 0)
        self.cancel_if_interrupted(t)
        if t.eintr_at_delivery:
            sigmask.at_delivery(t)
        if t.ctx.rerun in ("skipped_exit", "entry"):
            # A call being re-run is rewound onto its syscall instruction: drop the re-run;
            # after the handler the call traps again, as Linux restarts it.
            t.ctx.rerun = None
            t.rerun_commit = None
            if t.ctx.rewritten is not None:
                self.platform.put_back(t.ctx, t.ctx.rewritten, rewound=True)
                t.ctx.rewritten = None
            sigmask.rerun_dropped(t)
        if t.tg.vpid == 1:
            action = signals.ns_init_action(t.host_tid, sig)
            if action == signals.KILL:
                t.tg.killed_by = sig  # reported as killed by `sig`, as Linux would
                lib.st_kill(t.tg.host_pid, signal.SIGKILL)
            if action != signals.DELIVER:
                sig = 0
        if sig:
            siginfo.fix_at_delivery(self, t)
        self.platform.resume(t.ctx, sig)

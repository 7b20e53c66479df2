"""The Sentry's kernel: the task table and the event loop.

Design rules:
1. One thread, one loop. Events come from the platform in three kinds: a trapped syscall
   (a USER_NOTIF notification or a ptrace syscall stop), a task lifecycle event (waitpid:
   exec, exit, signal stops), or a host fd that became ready. The loop never blocks
   anywhere else.
2. A syscall that must wait parks its task (the notification stays unanswered, or the
   task stays stopped) and the loop serves the others; the wait source wakes it.
3. A handler never raises anything but SysError. Anything else is a Sentry bug: the
   kernel logs the call and kills the sandbox (fail closed); nothing reaches the host.
4. Unknown syscalls return ENOSYS and are logged once per number.
"""

from __future__ import annotations

import errno
import gc
import logging
import os
import signal
import time
import traceback
from collections.abc import Coroutine
from typing import Any

from sentry.abi.errno import ENOSYS, SysError
from sentry.abi.sysno import NAMES
from sentry.kernel import process, sigmask, signals, task_syscall
from sentry.kernel.ipc_msg import MsgNamespace
from sentry.kernel.ipc_sem import SemNamespace
from sentry.kernel.ipc_shm import ShmNamespace
from sentry.kernel.creds import Credentials
from sentry.kernel.sysctl import Sysctl
from sentry.kernel.memory import Memory
from sentry.kernel.report import Report
from sentry.kernel.task import Task
from sentry.kernel.args import Args
from sentry.kernel.task_syscall import Parked, dispatch, step, written
from sentry.kernel.thread_group import RLIMIT_NOFILE, ThreadGroup
from sentry.kernel.wait import Timers, arm, disarm
from sentry.kernel.waiter import POLLIN, WaitQueue
from sentry.kernel.stops import (  # noqa: F401 (re-exported: the handlers' results)
    DETACHED, EINTR_ERRNO, HOST, SentryBug, TraceStops)
from sentry.platform import base
from sentry.platform.base import SENTINELS, AddressSpace, Context, TaskDied
from sentry.platform.native import check, lib

EV_NOTIFY, EV_SECCOMP, EV_SYSCALL = base.EV_NOTIFY, base.EV_SECCOMP, base.EV_SYSCALL
EV_WAIT, EV_FD = base.EV_WAIT, base.EV_FD
EV_KIND, EV_TID, NV_NR, NV_ID = base.EV_KIND, base.EV_TID, base.NV_NR, base.NV_ID
EV_STATUS = base.EV_STATUS

log = logging.getLogger("sentry")
trace_log = logging.getLogger("sentry.strace")

# The task table's cap when the runtime sets none, as gVisor's kernel.TasksLimit: clone gets
# EAGAIN beyond it whatever the caller's credentials (sentry/kernel/process.py).
TASKS_LIMIT = 1 << 16
EXIT_SENTRY_BUG = 128 + 9
_ENOSYS = -ENOSYS.errno


class _Wait:
    """The request a parked handler yields: wait for `source` to be ready for `events`."""

    __slots__ = ("source", "events")

    def __init__(self, source: Any, events: int) -> None:
        self.source = source
        self.events = events

    def __await__(self):
        yield self


def exit_code(status: int) -> int:
    """A wait status as a shell sees it: the exit code, or 128+N for signal N."""
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return 128 + 9


class Kernel(TraceStops):
    def __init__(self, platform: Any, *, hostname: str = "runsc", strace: bool = False,
                 report: bool = False, defer_handlers: bool = False) -> None:
        self.platform = platform
        self.hostname = hostname
        self.sysctl = Sysctl()  # the guest's /proc/sys values (linux.sysctl sets some)
        self.shm = ShmNamespace(self)  # SysV shared memory (the sandbox's IPC namespace)
        self.sem = SemNamespace(self)  # and its SysV semaphores
        self.msg = MsgNamespace(self)  # and message queues
        self.strace = strace
        self.report = Report(platform.name) if report else None  # runsc_py do --report
        # The handlers (the syscall modules' import): now, or with defer_handlers by
        # load_handlers() before the first task runs (a runtime's sandbox process does it
        # once `create` has returned).
        self.handlers: list[Any] = []
        if not defer_handlers:
            self.load_handlers()
        self.tasks: dict[int, Task] = {}  # host tid → task
        self.thread_groups: dict[int, ThreadGroup] = {}  # vpid → thread group
        self.parked: dict[Task, tuple[Parked, int | None]] = {}  # task → (call, notif id)
        self.fd_waiters: dict[int, dict[Task, int]] = {}  # host fd → {parked task: events}
        self.timers = Timers()  # deadlines of parked calls (wait.py)
        self._signal_poll: Any = None  # the timer looking for signals to parked tasks
        self.enosys_seen: set[int] = set()
        self.init: Task | None = None
        self.init_status: int | None = None
        self.launching: dict[int, Any] = {}  # host tid → exec plan, before the stub's exec
        self.exec_pending: dict[int, Any] = {}  # host tid → exec plan, stub exec under way
        self.early_stops: set[int] = set()  # new tasks stopped before their parent's event
        self.max_tasks = TASKS_LIMIT  # host tasks of the sandbox, zombies included (pids.max)
        self.cloning: set[Task] = set()  # tasks whose clone the host runs (child not seen yet)
        self.pidns_fd = -1  # the sandbox's PID namespace (process.ns_tid), opened at need
        self.stats: dict[tuple[int, str], int] = {}
        if strace:
            from sentry.kernel import strace as strace_mod

            self._strace = strace_mod
        self._wake_queue: list[Task] = []
        # Hooks for a runtime around the kernel (sentry/control.py): host fds it serves in
        # the loop, the first task's launch and stub stop, and thread groups' exits.
        self.fd_handlers: dict[int, Any] = {}  # host fd → callback(), when it is ready
        self.on_init_launched: Any = None  # callback(host pid)
        self.on_init_stub: Any = None  # callback(task), at the stub stop before the load
        # A runtime's `create` launches the first task early and holds it at its stub stop
        # (nothing of the workload loaded) until `start`: hold_init, then release_init().
        self.hold_init = False
        self._held: tuple[Task, Any] | None = None
        self.exit_hooks: dict[ThreadGroup, Any] = {}  # thread group → callback(tg) at exit
        self.current: Task | None = None  # the task whose call runs now (signalfd's poll)
        self.signal_queue = WaitQueue()  # signalfd waiters: notified when signals may be due
        # (target host tid or pid, signo) → senders (si_code, guest pid, uid) of the
        # signals the Sentry sent from outside the PID namespace (siginfo.py).
        self.signal_senders: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        self.stop_requests: dict[Task, Any] = {}  # task → callback() at its next ptrace stop

    def load_handlers(self) -> None:
        if not self.handlers:
            self.handlers = task_syscall.build_handlers(
                os.environ.get(task_syscall.TEST_FAULT_ENV))

    # -- tasks ---------------------------------------------------------------------

    def new_init_task(self, fds: Any, fs: Any, creds: Credentials | None = None) -> Task:
        """The first task's Sentry side, before it exists on the host (host tid 0)."""
        tg = ThreadGroup(vpid=1, ppid=0, host_pid=0)
        # Like any namespace init started by a runtime, it stays in its starter's session and
        # process group, which lie outside the namespace: both read as 0 inside.
        tg.sid = tg.pgid = 0
        t = Task(self, 0, 1, tg, Memory(AddressSpace(0)), fds, fs, creds or Credentials())
        tg.tasks.append(t)
        fds.limit = tg.rlimits[RLIMIT_NOFILE][0]
        self.thread_groups[1] = tg
        self.init = t
        return t

    def start_init(self, plan: Any) -> None:
        """Launches the first task; the loader finishes it at its stub exec."""
        t = self.init
        assert t is not None
        pid = self.platform.launch(hostname=self.hostname)
        t.host_tid = pid
        t.tg.host_pid = pid
        t.mem = Memory(AddressSpace(pid))
        t.ctx = Context(pid)
        t.ctx.started = True  # seized while running: no initial stop
        self.tasks[pid] = t
        self.launching[pid] = plan
        if self.on_init_launched is not None:
            self.on_init_launched(pid)

    def release_init(self) -> None:
        """Ends hold_init: the first task loads the workload's program and runs (now, or at
        its stub stop if it has not reached it yet)."""
        self.hold_init = False
        held, self._held = self._held, None
        if held is None:
            return
        from sentry.kernel import loader

        t, plan = held
        try:
            loader.load(t, plan)
        except TaskDied as d:
            self.on_exit(t, d.status)
            return
        self.platform.resume(t.ctx)

    # -- the loop ------------------------------------------------------------------

    def run(self) -> int:
        """Runs until the first task exits; returns its status as an exit code."""
        # Start-up objects (modules, tables, the rootfs) live as long as the Sentry: out of
        # the collector's generations, the full collections the loop's churn of short-lived
        # objects triggers no longer walk them.
        self.load_handlers()
        gc.freeze()
        try:
            self._loop()
        except SentryBug as e:
            log.error("%s", e)
            self.kill_all()
            return EXIT_SENTRY_BUG
        return exit_code(self.init_status if self.init_status is not None else 0)

    def _loop(self) -> None:
        p = self.platform
        ev = p.next_event()
        # The notify lane's hot path, inlined: a synchronous handler's int result goes
        # straight back with the next event fetched in the same C call (a Written result:
        # its copy-out too, task_syscall.written). Everything else
        # (strace, coroutines, errors, unknown numbers) takes the general path. The event
        # is read in one call (base.NOTIFY_LAYOUT: what a notification needs, with the path
        # the C call read ahead; other kinds read it again whole, base.EVENT_LAYOUT), not
        # field by field.
        answer, answer_within = p.answer_and_next_raw, p.answer_within_raw
        answer_write = p.answer_write_raw
        fields, evbuf = base.EVENT_LAYOUT.unpack_from, p.ev_buffer
        notify_fields = base.NOTIFY_LAYOUT.unpack_from
        tasks = self.tasks
        # The handlers the hot path runs, by number (one dict lookup; none with strace or
        # report, whose calls all take the general path).
        hot = {} if self.strace or self.report else {
            nr: h for nr, h in enumerate(self.handlers) if h is not None}
        # Woken tasks and due timers are served before the loop may block again.
        woken, timers = self._wake_queue, self.timers
        pending_timers = timers.pending  # the heap itself: no method call on the hot path
        clock = timers.clock
        while self.init_status is None:
            v = notify_fields(evbuf)
            kind = v[EV_KIND]
            if kind == EV_NOTIFY:
                notif_id, nr = v[NV_ID], v[NV_NR]
                t = tasks.get(v[EV_TID])
                if t is None:
                    if p.notify_id_valid(notif_id):
                        raise SentryBug(f"notification from unknown host tid {ev.tid}")
                    # A thread the Sentry dropped (killed by another thread's exec) whose
                    # call was queued before it died: nothing to answer.
                    ev = p.next_event(timers.timeout_ms())
                    continue
                h = hot.get(nr)
                if h is not None:
                    self.current = t
                    try:
                        r = h(t, Args(v))  # v's first six items are the registers
                    except SysError as e:
                        r = -e.errno
                    except Exception as e:
                        raise self.bug(t, nr, v[:6], e) from e
                    # The wait for the next event ends at the nearest timer (ms); one due
                    # already (0): the general path fires it first.
                    if r.__class__ is int:
                        if not (woken or t.commit) and r > SENTINELS and (
                                ms := timers.timeout_ms() if pending_timers else -1) != 0:
                            rc = answer(notif_id, r) if ms < 0 else answer_within(notif_id, r, ms)
                            if rc < 0:
                                check(rc, "notify send")
                            continue
                    elif r.__class__ is tuple:  # a Written result: its copy-out with the answer
                        if not (woken or t.commit) and (
                                ms := timers.timeout_ms() if pending_timers else -1) != 0:
                            addr, data, r = r
                            rc = answer_write(v[EV_TID], addr, data, len(data), notif_id, r, ms)
                            if rc < 0:
                                check(rc, "notify send")
                            continue
                        r = written(t, r)
                    else:
                        r = self.run_coroutine(t, nr, r, notif_id)
                else:
                    r = self.syscall(t, nr, v, notif_id)
                if r is not None:
                    if t.commit is None and not woken and not timers.due() and r > SENTINELS:
                        ev = p.answer_notify_and_next(notif_id, r, timers.timeout_ms())
                        continue
                    self.answer_notify(t, notif_id, r)
            elif kind == EV_SECCOMP or kind == EV_SYSCALL:
                self.on_trace_stop(fields(evbuf))
            elif kind == EV_WAIT:
                self.on_wait(v[EV_TID], fields(evbuf)[EV_STATUS])
            elif kind == EV_FD:
                self.on_fd_ready(ev.fd)
            if pending_timers and pending_timers[0].deadline <= clock():  # (Timers.due)
                timers.fire_due()
            if woken:
                self._run_woken()
            if self.init_status is not None:
                break
            ev = p.next_event(timers.timeout_ms())

    def syscall(self, t: Task, nr: int, args: Any, notif_id: int | None) -> int | None:
        """Runs one trapped call; returns its result, or None if the task parked."""
        call = self._strace.format_call(NAMES.get(nr, str(nr)), args, t.mem) if self.strace else ""
        self.current = t
        start = time.perf_counter_ns() if self.report else 0
        try:
            r = dispatch(self.handlers, t, nr, args)
        except TaskDied:
            raise
        except Exception as e:
            raise self.bug(t, nr, args[:6], e) from e
        if self.report:  # a call that parks counts too (its time up to parking)
            self.report.add(nr, "notify" if notif_id is not None else "trace",
                            time.perf_counter_ns() - start)
        if r.__class__ is Parked:
            if self.strace:
                trace_log.info("[%d] %s <unfinished ...>", t.vtid, call)
            self.park(t, r, notif_id)
            return None
        if r == _ENOSYS and nr not in self.enosys_seen and (
                not 0 <= nr < len(self.handlers) or self.handlers[nr] is None):
            self.enosys_seen.add(nr)
            if self.report:
                self.report.enosys.add(nr)
            log.warning("unsupported syscall %s (%d): ENOSYS", NAMES.get(nr, "?"), nr)
        if self.strace:
            result = self._strace.format_result(NAMES.get(nr, ""), r)
            trace_log.info("[%d] %s = %s", t.vtid, call, result)
        return r

    @staticmethod
    def bug(t: Task, nr: int, args: Any, e: Exception) -> SentryBug:
        return SentryBug(
            f"sentry bug in {NAMES.get(nr, nr)}{tuple(hex(a) for a in args)} of task "
            f"{t.vtid}: {e!r}\n{traceback.format_exc()}")

    def run_coroutine(self, t: Task, nr: int, coro: Any, notif_id: int | None) -> int | None:
        """Starts a handler coroutine (the hot path's non-int result); None if it parked."""
        if not isinstance(coro, Coroutine):
            raise self.bug(t, nr, (), TypeError(f"handler returned {coro!r}"))
        try:
            r = step(coro, nr)
        except Exception as e:
            raise self.bug(t, nr, (), e) from e
        if r.__class__ is Parked:
            self.park(t, r, notif_id)
            return None
        return r

    def strace_resumed(self, t: Task, nr: int, r: int) -> None:
        name = NAMES.get(nr, str(nr))
        result = self._strace.format_result(name, r)
        trace_log.info("[%d] <... %s resumed> = %s", t.vtid, name, result)

    # -- ptrace-lane calls -----------------------------------------------------------

    def answer_notify(self, t: Task, notif_id: int, result: int) -> None:
        """Answers a notification; a handler's deferred commit runs only if it was taken
        (a signal may have cancelled the call meanwhile, and Linux would then not have done
        what the handler did: e.g. wait4 would not have reaped the child)."""
        if result == sigmask.INTERRUPTED:  # not a lane such calls take: no handler
            result = -EINTR_ERRNO
        if result == HOST:
            taken = self.platform.continue_notify(notif_id)
        else:  # (DONATING, a platform result, too)
            taken = self.platform.answer_notify(notif_id, result, t.ctx)
        commit, t.commit = t.commit, None
        if taken and commit is not None:
            commit()

    # -- lifecycle -----------------------------------------------------------------

    def on_exit(self, t: Task, status: int) -> None:
        if t is self.init and (t.host_tid in self.launching or t.host_tid in self.exec_pending):
            why = self.platform.describe_launch_failure(status)
            if why:
                log.error("%s", why)
        process.on_task_exit(self, t, status)
        self.stop_requests.pop(t, None)
        if not t.tg.tasks and t.tg in self.exit_hooks:
            self.exit_hooks.pop(t.tg)(t.tg)
        if t.tg.vpid == 1 and not t.tg.tasks:
            self.init_status = t.tg.exit_status
            self.kill_all()

    def kill_all(self) -> None:
        for t in list(self.tasks.values()):
            try:
                os.kill(t.host_tid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    # -- parking -------------------------------------------------------------------

    async def wait(self, t: Task, source: Any, events: int) -> None:
        await _Wait(source, events)

    def park(self, t: Task, call: Parked, notif_id: int | None) -> None:
        if notif_id is None and t.ctx.where == base.ST_AT_ENTRY and call.nr not in LAZY_SKIP:
            self.platform.skip_to_exit(t.ctx, call.nr)  # a seccomp-stop call waits skipped
        self.parked[t] = (call, notif_id)
        arm(self, t, call.wait)  # one source, or a WaitSet's sources and deadline
        self.arm_signal_poll()

    def on_fd_ready(self, fd: int) -> None:
        handler = self.fd_handlers.get(fd)
        if handler is not None:
            handler()
            return
        for t in self.fd_waiters.pop(fd, {}):
            self._wake_queue.append(t)

    def _run_woken(self) -> None:
        while self._wake_queue:
            t = self._wake_queue.pop(0)
            entry = self.parked.pop(t, None)
            if entry is None:
                continue
            call, notif_id = entry
            disarm(self, t, call.wait)  # off the sources that did not fire, timer too
            self.disarm_signal_poll()
            self.current = t
            try:
                r = step(call.coro, call.nr)
            except TaskDied as d:  # an injection met its death
                self.on_exit(t, d.status)
                continue
            except Exception as e:
                raise SentryBug(f"sentry bug resuming {NAMES.get(call.nr)} of task {t.vtid}: "
                                f"{e!r}\n{traceback.format_exc()}") from e
            if r.__class__ is Parked:
                self.park(t, r, notif_id)
                continue
            if self.strace:
                self.strace_resumed(t, call.nr, r)
            if notif_id is not None:
                self.answer_notify(t, notif_id, r)
            else:
                self.complete_stop(t, r)

    def cancel(self, t: Task) -> None:
        """Drops a parked call (its task died or a signal interrupted it)."""
        entry = self.parked.pop(t, None)
        if entry is None:
            return
        call, _ = entry
        disarm(self, t, call.wait)
        self.disarm_signal_poll()
        call.coro.close()

    def signals_sent(self, tg: ThreadGroup) -> None:
        """A signal may be pending for `tg`: interrupt the calls it has parked in the Sentry.

        Neither lane lets the host interrupt a parked call: a stopped tracee takes no
        signal, and a notification the Sentry has received waits killably
        (WAIT_KILLABLE_RECV, so that a call the Sentry carried out is never restarted).
        The Sentry ends the call with -ERESTARTSYS (-ERESTARTNOHAND for poll and select),
        the syscall number kept, and the host's signal code applies Linux's
        restart-or-EINTR rule, as if the wait had been interrupted on the host.
        Signalfd waiters (blocked signals do not interrupt) are told to look again.
        """
        woken = set(self._wake_queue)  # before the signalfd wake-up below adds its own
        if self.signal_queue.has_waiters() and any(
                signals.pending_in(task.host_tid, ALL_SIGNALS) for task in tg.tasks):
            self.signal_queue.notify(POLLIN)
        for task in list(tg.tasks):
            entry = self.parked.get(task)
            if entry is None or task in woken:
                continue  # woken already: it completes first, as Linux's rescan after a wake
            if task.wait_sigmask is not None:
                # ppoll & co: the call's own mask decides, and its handler ends it
                # (sentry/kernel/sigmask.py), unless what woke it is ready first.
                if signals.interrupts_wait(task.host_tid, task.wait_sigmask):
                    self._wake_queue.append(task)
                continue
            if signals.has_pending(task.host_tid):
                ws = getattr(entry[0].wait, "source", entry[0].wait)  # a WaitSet, maybe in a _Wait
                nohand = entry[0].nr in NOHAND_CALLS or getattr(ws, "no_restart", False)
                restart = -(ERESTARTNOHAND if nohand else ERESTARTSYS)
            else:
                continue
            call, notif_id = entry
            self.cancel(task)
            if notif_id is None:
                if task.ctx.where == base.ST_AT_ENTRY:  # parked unskipped (LAZY_SKIP)
                    try:
                        self.platform.skip_to_exit(task.ctx, call.nr)
                    except TaskDied as d:
                        self.on_exit(task, d.status)
                        continue
                    except OSError as e:
                        if e.errno != errno.ESRCH:
                            raise
                        continue  # killed meanwhile (SIGKILL): its exit event follows
                self.platform.interrupt_stop(task.ctx, restart)
            else:
                task.restart_answered = True  # not a call the host interrupted unreceived
                self.platform.answer_notify(notif_id, restart)

    def interruptible(self, tg: ThreadGroup) -> bool:
        """Whether signals_sent(tg) could act: a signalfd read waits, or a task of tg has a
        call parked and not woken already."""
        if self.signal_queue.has_waiters():
            return True
        woken = self._wake_queue
        return any(x in self.parked and x not in woken for x in tg.tasks)

    def request_stop(self, t: Task, callback: Any) -> None:
        """Stops a running task (PTRACE_INTERRUPT) to run `callback()` at that stop, where
        calls can be injected (a notify-lane task cannot take one)."""
        self.stop_requests[t] = callback
        if lib.st_interrupt(t.host_tid) < 0:
            self.stop_requests.pop(t, None)  # gone: its exit event follows

    def poll_parked_signals(self) -> None:
        """Signals from outside the Sentry (a terminal's ^C, host timers) give no event:
        while calls are parked, look for them every PARKED_SIGNAL_POLL seconds."""
        groups = {id(t.tg): t.tg for t in self.parked}
        for tg in groups.values():
            self.signals_sent(tg)
        self._signal_poll = None
        self.arm_signal_poll()

    def arm_signal_poll(self) -> None:
        if self.parked and self._signal_poll is None:
            self._signal_poll = self.timers.add(
                self.timers.clock() + PARKED_SIGNAL_POLL, self.poll_parked_signals)

    def disarm_signal_poll(self) -> None:
        if not self.parked and self._signal_poll is not None:
            self.timers.cancel(self._signal_poll)
            self._signal_poll = None

    def cancel_if_interrupted(self, t: Task) -> None:
        entry = self.parked.get(t)
        if entry and entry[1] is not None and not self.platform.notify_id_valid(entry[1]):
            self.cancel(t)


ERESTARTSYS, ERESTARTNOHAND = 512, 514
# poll, select, pselect6, ppoll, io_getevents, io_pgetevents: no SA_RESTART
NOHAND_CALLS = frozenset((7, 23, 270, 271, 208, 333))
# Calls parked at their seccomp stop as they are, moved to their exit stop (skip_to_exit)
# only if a signal interrupts them: woken, their host work (the pinned reap) is injected in
# place, two stops fewer. Their handlers never end with -ERESTART* themselves. The waits
# with a signal mask (pselect6, ppoll, epoll_pwait, epoll_pwait2 in the TRACE lane) are
# made the host's ppoll there if a signal ends them (sigmask.py).
LAZY_SKIP = frozenset((61, 247, 270, 271, 281, 441))
PARKED_SIGNAL_POLL = 0.05
ALL_SIGNALS = (1 << 64) - 1

__all__ = ["Kernel", "SysError", "DETACHED", "exit_code"]

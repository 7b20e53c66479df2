"""Process lifecycle in the Sentry: clone, exit, zombies, reparenting, host reaping.

The host runs clone (after the Sentry checked its flags) and execs the stub; the Sentry
keeps the guest's view: thread groups, parent/child, zombies and their wait statuses.

Host zombies: a traced child that exits is reported to the Sentry (its tracer), and the
host keeps it as a zombie of its host parent until that parent's host wait4 reaps it. The
Sentry decides which child a guest wait4 reaps and the host reaps exactly that one, by a
wait4 pinned to its pid injected in the caller (sys_process.py), so the pid stays taken
exactly as long as the guest can see the zombie.
"""

from __future__ import annotations

import fcntl
import functools
import itertools
import logging
import os
from typing import TYPE_CHECKING, Any

from sentry.abi.errno import EAGAIN, EINVAL, EPERM, ESRCH
from sentry.kernel import ipc_sem, posix_timers, siginfo
from sentry.kernel.memory import Memory
from sentry.kernel.signals import read_status, status_value
from sentry.kernel.task import Task
from sentry.kernel.thread_group import MM, ThreadGroup
from sentry.kernel.waiter import POLLHUP, POLLIN
from sentry.platform.base import AddressSpace, Context, TaskDied
from sentry.platform.native import ffi, lib
from sentry.vfs import locks

if TYPE_CHECKING:
    from sentry.kernel.kernel import Kernel

log = logging.getLogger("sentry")

CSIGNAL = 0x000000FF
CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK, CLONE_PARENT = 0x1000, 0x2000, 0x4000, 0x8000
CLONE_THREAD, CLONE_NEWNS, CLONE_SYSVSEM, CLONE_SETTLS = 0x10000, 0x20000, 0x40000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_DETACHED = 0x100000, 0x200000, 0x400000
CLONE_UNTRACED, CLONE_CHILD_SETTID, CLONE_NEWCGROUP = 0x800000, 0x1000000, 0x2000000
CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER = 0x4000000, 0x8000000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET, CLONE_IO = 0x20000000, 0x40000000, 0x80000000
CLONE_NEWTIME = 0x80  # clone3 only
NAMESPACE_FLAGS = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
                   | CLONE_NEWPID | CLONE_NEWNET)
PTRACE_EVENT_STOP = 128
SIGCHLD = 17
NS_GET_PID_IN_PIDNS = 0x8004B708  # _IOR(0xb7, 0x8, int): a pid of ours in the target ns


_fork_order = itertools.count(1)  # the host lists children oldest first; so do we


def check_clone_flags(flags: int, newtime: bool = False) -> int:
    """Validates clone flags in the order Linux's copy_process does, for a caller without
    namespace privileges; returns the flags the host may run: CLONE_UNTRACED and
    CLONE_PTRACE dropped (every task stays traced), and CLONE_PIDFD, whose pidfd the Sentry
    makes (a host pidfd in the task would name a host process). `newtime`: clone3, whose
    0x80 is CLONE_NEWTIME (clone's low byte is the exit signal)."""
    if flags & (CLONE_NEWNS | CLONE_FS) == CLONE_NEWNS | CLONE_FS:
        raise EINVAL()
    if flags & (CLONE_NEWUSER | CLONE_FS) == CLONE_NEWUSER | CLONE_FS:
        raise EINVAL()
    if flags & CLONE_THREAD and not flags & CLONE_SIGHAND:
        raise EINVAL()
    if flags & CLONE_SIGHAND and not flags & CLONE_VM:
        raise EINVAL()
    if flags & CLONE_THREAD and flags & (CLONE_NEWUSER | CLONE_NEWPID):
        raise EINVAL()
    if flags & CLONE_PIDFD and flags & CLONE_DETACHED:
        raise EINVAL()
    if flags & NAMESPACE_FLAGS or newtime and flags & CLONE_NEWTIME:
        raise EPERM()  # no new namespaces inside the sandbox (no host capabilities)
    return flags & ~(CLONE_UNTRACED | CLONE_PTRACE | CLONE_PIDFD)


@functools.cache
def pid_max() -> int:
    """kernel.pid_max: the host's, which the sandbox's PID namespace shares."""
    with open("/proc/sys/kernel/pid_max", "rb") as f:
        return int(f.read())


def reserve_task(k: Kernel, t: Task) -> None:
    """The task table's cap (k.max_tasks, the sandbox's pids.max): EAGAIN if one more task
    would pass it, whatever the caller's credentials (root included, as a pids cgroup or
    Linux's threads-max). Counted: live tasks, zombies (their host pid stays taken until
    the pinned reap), and clones the host is running (the caller stays in k.cloning until
    its child's event, or until the call's exit stop shows it failed: ctx.rerun cleared)."""
    cloning = k.cloning
    cloning.discard(t)  # a task runs one clone at a time: its last one is over
    limit = k.max_tasks
    if len(k.tasks) + len(k.thread_groups) + len(cloning) >= limit:  # an upper bound
        for x in [x for x in cloning if not x.ctx.rerun or x.host_tid not in k.tasks]:
            cloning.discard(x)
        zombies = sum(1 for tg in k.thread_groups.values() if not tg.tasks)
        if len(k.tasks) + zombies + len(cloning) >= limit:
            raise EAGAIN()
    cloning.add(t)


def task_by_vtid(k: Kernel, vtid: int) -> Task | None:
    """The task whose tid in the sandbox's PID namespace is vtid, if it is alive."""
    for task in k.tasks.values():
        if task.vtid == vtid:
            return task
    return None


def personality(host_tid: int) -> int:
    """The task's personality (the host runs personality(2), an allow-listed call); 0 if
    the task is gone."""
    try:
        fd = os.open(f"/proc/{host_tid}/personality", os.O_RDONLY | os.O_CLOEXEC)
        try:
            return int(os.read(fd, 32), 16)
        finally:
            os.close(fd)
    except (OSError, ValueError):
        return 0


def task_or_caller(t: Task, vtid: int) -> Task:
    """The task a call names by guest tid, 0 naming the caller (capget, sched_*); ESRCH."""
    task = t if vtid == 0 else task_by_vtid(t.kernel, vtid)
    if task is None:
        raise ESRCH()
    return task


def ns_tid(host_tid: int, pidns_fd: int = -1) -> int:
    """The task's tid in the sandbox's PID namespace (its guest tid): one ioctl on the
    namespace's nsfs fd (NS_GET_PID_IN_PIDNS, Linux 6.10+), else from /proc (~10x the
    cost: the kernel formats the whole status file)."""
    if pidns_fd >= 0:
        try:
            return fcntl.ioctl(pidns_fd, NS_GET_PID_IN_PIDNS, host_tid)
        except OSError as e:  # an older kernel (ENOTTY/EINVAL), or gone: /proc says
            log.debug("NS_GET_PID_IN_PIDNS(%d): %s", host_tid, e)
    nspid = status_value(read_status(host_tid), b"NSpid").split()
    if not nspid:
        raise RuntimeError(f"no NSpid for host tid {host_tid}")
    return int(nspid[-1])


def _pidns_fd(k: Kernel) -> int:
    """An fd on the sandbox's PID namespace (the first task's), opened once; -1 if not."""
    if k.pidns_fd < 0 and k.init is not None:
        try:
            k.pidns_fd = os.open(f"/proc/{k.init.tg.host_pid}/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        except OSError as e:
            log.debug("no fd on the sandbox's PID namespace: %s", e)
    return k.pidns_fd


def new_child(k: Kernel, parent: Task, host_tid: int, flags: int) -> Task:
    """The Sentry side of a task the host just cloned (stopped at its first stop)."""
    vtid = ns_tid(host_tid, _pidns_fd(k))
    fds = parent.fds if flags & CLONE_FILES else parent.fds.fork()
    fs = parent.fs if flags & CLONE_FS else parent.fs.copy()
    if flags & CLONE_THREAD:
        tg = parent.tg
    else:
        ptg = parent.tg.parent if flags & CLONE_PARENT and parent.tg.parent else parent.tg
        tg = ThreadGroup(vpid=vtid, ppid=ptg.vpid, host_pid=host_tid,
                         rlimits=list(parent.tg.rlimits),  # (not the host's: 16 getrlimits)
                         exit_signal=flags & CSIGNAL, dumpable=parent.tg.dumpable)
        # After the constructor, which takes 0 for "its own": the init's session and group
        # are 0 (outside the namespace), and its children share them.
        tg.pgid, tg.sid = parent.tg.pgid, parent.tg.sid
        tg.parent = ptg
        tg.parent_thread = None if flags & CLONE_PARENT else parent
        # The host's CLONE_PARENT makes the caller's own host parent the child's.
        tg.host_parent = parent.tg.host_parent if flags & CLONE_PARENT else parent.tg
        tg.seq = next(_fork_order)
        ptg.children.add(tg)
        tg.exe_path, tg.cmdline, tg.environ = (parent.tg.exe_path, parent.tg.cmdline,
                                               parent.tg.environ)
        tg.nocldwait = parent.tg.nocldwait  # dispositions are inherited
        tg.sigchld_ign = parent.tg.sigchld_ign
        if flags & CLONE_SIGHAND:  # (without CLONE_THREAD here): one table for both
            tg.sighand_shared = parent.tg.sighand_shared = True
        tg.controlling_tty = parent.tg.controlling_tty
        mm = parent.tg.mm
        tg.mm = mm if flags & CLONE_VM else MM(mm.brk_start, mm.brk)
        k.thread_groups[vtid] = tg
    t = Task(k, host_tid, vtid, tg, Memory(AddressSpace(host_tid)), fds, fs, parent.creds.copy())
    t.comm = parent.comm
    t.sched = parent.sched.fork()
    if flags & CLONE_SYSVSEM:
        if parent.semundo is None:
            parent.semundo = ipc_sem.SemUndo()
        t.semundo = parent.semundo
    t.ctx = Context(host_tid)
    tg.tasks.append(t)
    k.tasks[host_tid] = t
    return t


def on_clone_event(k: Kernel, parent: Task) -> None:
    """PTRACE_EVENT_{FORK,VFORK,CLONE} in the parent: register the child, start both."""
    msg = ffi.new("unsigned long *")
    if lib.st_geteventmsg(parent.host_tid, msg) < 0:
        k.platform.resume(parent.ctx)
        return
    flags = parent.ctx.clone_flags
    k.cloning.discard(parent)  # counted from now on as the child itself
    child = new_child(k, parent, int(msg[0]), flags)
    saved, parent.ctx.rewritten = parent.ctx.rewritten, None
    if saved is not None:  # clone3 run as clone: both get the caller's registers back
        k.platform.put_back(parent.ctx, saved)
        child.ctx.rewritten = saved
    hook, parent.ctx.clone_child = parent.ctx.clone_child, None
    if hook is not None:
        hook(child)
    if child.host_tid in k.early_stops:
        k.early_stops.discard(child.host_tid)
        start_child(k, child)
    if k.platform.name == "seccomp" and parent.ctx.rerun == "running":
        # The event shows the clone succeeded: its exit stop (rerun_start's watch_exit)
        # has nothing more to tell, so the parent goes on without it (one stop fewer).
        parent.ctx.rerun = None
    k.platform.resume(parent.ctx)


def exec_kills_others(k: Kernel, t: Task) -> None:
    """After an exec by a task with other threads: the host killed them (their exits were
    reaped during the exec, sys_process.py), and a task that was not the leader took the
    leader's tid (the old leader is released by the host without an exit event). The
    Sentry drops the others (a call one of them had queued comes from a tid it no longer
    knows and is ignored) and, if needed, renames the execing task."""
    tg = t.tg
    for other in tg.tasks:
        if other is not t:
            k.cancel(other)
            k.tasks.pop(other.host_tid, None)
    tg.tasks[:] = [t]
    if t.host_tid != tg.host_pid:
        k.tasks.pop(t.host_tid, None)
        t.host_tid = t.ctx.tid = tg.host_pid
        t.vtid = tg.vpid
        t.mem = Memory(AddressSpace(tg.host_pid))
        k.tasks[t.host_tid] = t


def leave_semundo(k: Kernel, t: Task) -> None:
    """t leaves its SEM_UNDO list (exit, unshare(CLONE_SYSVSEM)): applied by its last user."""
    u, t.semundo = t.semundo, None
    if u is not None and not any(x.semundo is u for x in k.tasks.values() if x is not t):
        ipc_sem.apply_undo(u, t.tg.vpid)


def drop_mm(k: Kernel, tg: ThreadGroup, mm: Any) -> None:
    """tg no longer uses address space mm (its exec or exit): SysV segments removed with
    IPC_RMID whose last mapping was there go, and so do its AIO contexts if no other
    process shares it (vfork, CLONE_VM)."""
    k.shm.reap()
    if mm.aio and not any(g.mm is mm and g.tasks for g in k.thread_groups.values()
                          if g is not tg):
        for ctx in mm.aio.values():
            ctx.kill()
        mm.aio.clear()


def on_first_stop(k: Kernel, host_tid: int) -> None:
    """A new task's initial PTRACE_EVENT_STOP: start it, or wait for its parent's event."""
    t = k.tasks.get(host_tid)
    if t is None:
        k.early_stops.add(host_tid)
        return
    start_child(k, t)


def start_child(k: Kernel, t: Task) -> None:
    """Lets a new task run its first instruction (its first stop and its parent's clone
    event have both come), with the registers its parent's call left if rewritten."""
    t.ctx.started = True
    saved, t.ctx.rewritten = t.ctx.rewritten, None
    if saved is not None:
        k.platform.put_back(t.ctx, saved)
    hook, t.ctx.on_start = t.ctx.on_start, None
    if hook is not None:
        try:
            hook()
        except TaskDied as d:
            k.on_exit(t, d.status)
            return
    k.platform.resume(t.ctx)


def on_task_exit(k: Kernel, t: Task, status: int) -> None:
    """A host task is gone: the Sentry's bookkeeping, zombies and reparenting."""
    k.tasks.pop(t.host_tid, None)
    k.cloning.discard(t)
    k.cancel(t)
    leave_semundo(k, t)
    tg = t.tg
    if t.host_tid != tg.host_pid:
        siginfo.forget(k, t.host_tid)  # host ids come back: the records go with the task
    if t in tg.tasks:
        tg.tasks.remove(t)
    if not tg.tasks:
        siginfo.forget(k, tg.host_pid)
    else:
        tg.exit_waitq.notify(POLLIN)  # its thread pidfds (PIDFD_THREAD)
        return
    tg.host_status = t.host_tid == tg.host_pid and tg.killed_by is None
    if tg.killed_by is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9:
        status = tg.killed_by  # killed by the Sentry on the guest's behalf: report that signal
    tg.exit_status = status
    tg.exit_uid = t.creds.uid
    tg.exit_waitq.notify(POLLIN | POLLHUP)
    posix_timers.delete_all(tg)
    locks.release_exited(tg)
    drop_mm(k, tg, tg.mm)
    if not any(x.fds is t.fds for x in k.tasks.values()):
        t.fds.close_all()
    init = k.thread_groups.get(1)
    for child in list(tg.children):
        reparent(k, child, init)
    if tg.vpid == 1:
        return
    parent = tg.parent
    statuses = _Statuses()
    if parent is not None and parent.tasks and tg.exit_signal == SIGCHLD \
            and ignores_sigchld(parent, statuses):
        # A parent that ignores SIGCHLD gets no zombies of its SIGCHLD children (Linux
        # auto-reaps; so did the host).
        parent.children.discard(tg)
        k.thread_groups.pop(tg.vpid, None)
        parent.child_waitq.notify(POLLIN)  # a blocked wait4 rechecks: maybe ECHILD now
        return
    if parent is not None:
        parent.child_waitq.notify(POLLIN)
    hp = tg.host_parent
    if hp is not None and hp.tasks and k.interruptible(hp) and not _exit_signal_discarded(
            tg, hp, statuses):
        k.signals_sent(hp)  # SIGCHLD from the host


class _Statuses(dict):
    """The SIGCHLD bit of /proc/<tid>/status masks (SigIgn, SigCgt, SigBlk), each thread's
    file read at most once per exit (it is slow to read: the kernel formats all of it);
    None for a thread that is gone."""

    def __missing__(self, tid: int) -> dict[bytes, bool] | None:
        try:
            st = read_status(tid)
        except OSError:
            self[tid] = None
            return None
        bit = 1 << (SIGCHLD - 1)
        m = self[tid] = {key: bool(int(status_value(st, key) or b"0", 16) & bit)
                         for key in (b"SigIgn", b"SigCgt", b"SigBlk")}
        return m


def _exit_signal_discarded(child: ThreadGroup, parent: ThreadGroup, statuses: _Statuses) -> bool:
    """Whether Linux would discard the SIGCHLD of the child's exit, so that it interrupts
    none of the parent's calls and a parked wait4 just completes: its action is the default
    (ignore) and no thread blocks it (a blocked one stays pending: a handler may be set
    meanwhile). (The host, which ptrace makes queue even ignored signals, still stops the
    parent for it; the Sentry lets it go.)"""
    if not child.exit_signal:
        return True  # a clone child without an exit signal: none is sent
    if child.exit_signal != SIGCHLD:
        return False
    for t in parent.tasks:
        m = statuses[t.host_tid]
        if m is None or any(m.values()):
            return False
    return True


def ignores_sigchld(tg: ThreadGroup, statuses: _Statuses | None = None) -> bool:
    """SIGCHLD set to SIG_IGN, or SA_NOCLDWAIT on it: the children are never zombies.
    (SA_NOCLDWAIT is not visible in /proc: sys_rt_sigaction notes it on the thread group.)"""
    if tg.nocldwait:
        return True
    if tg.sigchld_ign is not None and not tg.sighand_shared:
        return tg.sigchld_ign
    m = (statuses if statuses is not None else _Statuses())[tg.host_pid]
    if m is None:
        return False
    if not tg.sighand_shared:
        tg.sigchld_ign = m[b"SigIgn"]  # kept: from now on sys_rt_sigaction notes changes
    return m[b"SigIgn"]


def reparent(k: Kernel, child: ThreadGroup, init: ThreadGroup | None) -> None:
    """An orphan goes to the nearest subreaper ancestor, else init (guest view)."""
    old = child.parent
    new = init
    anc = old.parent if old else None
    while anc is not None:
        if anc.subreaper and anc.tasks:
            new = anc
            break
        anc = anc.parent
    if old is not None:
        old.children.discard(child)
    child.parent = new
    child.parent_thread = None
    child.ppid = new.vpid if new else 0
    if new is not None:
        new.children.add(child)
        if child.exit_status is not None:
            new.child_waitq.notify(POLLIN)
    child.host_parent = init  # the host reparents to its namespace init


def exit_code_of(status: int) -> tuple[int, int]:
    """(si_code, si_status) of a wait status, for waitid and SIGCHLD."""
    if os.WIFEXITED(status):
        return 1, os.WEXITSTATUS(status)  # CLD_EXITED
    sig = os.WTERMSIG(status)
    return (3 if os.WCOREDUMP(status) else 2), sig  # CLD_DUMPED / CLD_KILLED


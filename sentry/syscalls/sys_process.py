"""Process creation, program execution and waiting: clone family, execve, wait4, waitid.

clone runs on the host once the Sentry has checked its flags (the task's next events,
PTRACE_EVENT_FORK/VFORK/CLONE, register the child: sentry/kernel/process.py). execve
never makes the host open a guest path: the Sentry resolves and validates the program,
then the task host-execs the stub (a donated memfd) and the loader maps the guest's ELF.
wait4/waitid are answered from the Sentry's own zombies (TRACE lane: the task is stopped),
and the host reaps the chosen child by a wait4 pinned to its pid, injected in the caller.
"""

from __future__ import annotations

import errno
import itertools
import logging
import struct

from sentry.abi.errno import (E2BIG, EAGAIN, EBADF, ECHILD, EFAULT, EINVAL, ENAMETOOLONG,
                              ENOENT, EPERM)
from sentry.abi.sysno import SYS_clone, SYS_execveat, SYS_wait4
from sentry.kernel import loader, posix_timers, process, signals
from sentry.kernel.args import Args
from sentry.kernel.creds import CAP_SYS_ADMIN, CAP_SYS_RESOURCE, cap_mask
from sentry.vfs.file import fd_closed
from sentry.vfs.constants import O_NONBLOCK
from sentry.kernel.kernel import DETACHED, HOST
from sentry.kernel.memory import PATH_MAX, PageSnapshot
from sentry.kernel.task import Task
from sentry.kernel.thread_group import RLIMIT_NPROC, RLIMIT_STACK, ThreadGroup
from sentry.kernel.waiter import POLLHUP, POLLIN
from sentry.platform.base import ST_AT_ENTRY
from sentry.platform.native import check, ffi, lib

log = logging.getLogger("sentry")

SIGCHLD = 17
WNOHANG, WUNTRACED, WEXITED, WCONTINUED, WNOWAIT = 1, 2, 4, 8, 0x01000000
WNOTHREAD, WALL, WCLONE = 0x20000000, 0x40000000, 0x80000000
P_ALL, P_PID, P_PGID, P_PIDFD = 0, 1, 2, 3
CLD_EXITED, CLD_STOPPED, CLD_CONTINUED = 1, 5, 6
ALL_SIGNALS = (1 << 64) - 1  # a sigset with every signal (the kernel keeps KILL/STOP out)
SIGCONT = 18
MAX_ARG_STRLEN = 32 * 4096
ARG_MIN = 32 * 4096  # Linux's ARG_MAX: the room execve's strings always have
STK_LIM = 8 << 20  # _STK_LIM: at most three quarters of it hold the strings
MAX_ARGS = 0x7FFFFFFF
STRING_BLOCK_MAX = 1 << 16  # _string_block reads at most this much at once
CLONE_ARGS = struct.Struct("<QQQQQQQQQQQ")  # struct clone_args (through cgroup)
CLONE_ARGS_SIZE_VER0 = 64  # clone3's first struct clone_args, up to tls
CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP = 1 << 32, 1 << 33
MAX_PID_NS_LEVEL = 32
PAGE_SIZE = 4096
TASK_SIZE = (1 << 47) - 4096  # x86-64's user address space ends here
_NPROC_EXEMPT = cap_mask(CAP_SYS_RESOURCE, CAP_SYS_ADMIN)


def _check_nproc(t: Task) -> None:
    """RLIMIT_NPROC: the tasks of the caller's real uid, threads included, as Linux counts;
    a real uid of 0 is exempt, and so is CAP_SYS_RESOURCE or CAP_SYS_ADMIN."""
    uid = t.creds.uid
    if uid == 0 or t.creds.effective & _NPROC_EXEMPT:
        return
    soft = t.tg.rlimits[RLIMIT_NPROC][0]
    if sum(1 for x in t.kernel.tasks.values() if x.creds.uid == uid) >= soft:
        raise EAGAIN()


def _run_clone(t: Task, flags: int, pidfd: int | None = None,
               as_clone: tuple[int, int, int, int, int] | None = None,
               clear_sighand: bool = False) -> int:
    """Lets the host run the trapped clone-family call; the child comes as a ptrace event.
    `pidfd`: where CLONE_PIDFD's pidfd goes (checked here, as Linux fails the whole call
    with EFAULT or EMFILE before the child exists; made at the child's event).
    `as_clone`: clone's arguments, which the host runs instead (clone3), and
    `clear_sighand` its CLONE_CLEAR_SIGHAND (signals.clear_handlers)."""
    _check_nproc(t)
    if pidfd is not None:
        _check_pidfd_slot(t, pidfd)
    process.reserve_task(t.kernel, t)
    if as_clone is not None:
        t.kernel.platform.rewrite_call(t.ctx, SYS_clone, as_clone)
    t.ctx.clone_flags = flags
    t.ctx.clone_child = (None if pidfd is None and not clear_sighand
                         else lambda child: _at_child(t, child, pidfd, clear_sighand))
    t.kernel.platform.rerun_start(t.ctx, watch_exit=True)
    return DETACHED


def _check_pidfd_slot(t: Task, addr: int) -> None:
    """EMFILE if no fd is free for a pidfd, EFAULT if its number cannot be written at addr."""
    t.fds.free_fd()
    t.mem.write(addr, t.mem.read(addr, 4))


def _at_child(t: Task, child: Task, pidfd: int | None, clear_sighand: bool) -> None:
    if pidfd is not None:
        _give_pidfd(t, child, pidfd)
    if clear_sighand:
        child.ctx.on_start = lambda: signals.clear_handlers(child)


def _give_pidfd(t: Task, child: Task, addr: int) -> None:
    """CLONE_PIDFD: a pidfd of the new child (of its thread with CLONE_THREAD, as Linux
    6.9's PIDFD_THREAD) at the caller's lowest free fd, close-on-exec, its number at addr."""
    from sentry.vfs.fsimpl.pidfd import PidFd

    thread = bool(t.ctx.clone_flags & process.CLONE_THREAD)
    fd = t.fds.install(PidFd(child.tg, False, thread=thread, task=child), cloexec=True)
    t.mem.write(addr, struct.pack("<i", fd))


def sys_clone(t: Task, a: Args) -> int:
    """Implements clone(2). Differences: namespace flags get EPERM."""
    flags = a.ulong(0)
    pidfd = a.ptr(2) if flags & process.CLONE_PIDFD else None
    if pidfd is not None and flags & process.CLONE_PARENT_SETTID:
        raise EINVAL()  # both would go where parent_tid points
    if t.kernel.platform.in_place and t.ctx.where != ST_AT_ENTRY:
        return _clone_notified(t, flags)
    allowed = process.check_clone_flags(flags)
    if allowed != flags:  # run it with CLONE_UNTRACED/CLONE_PTRACE/CLONE_PIDFD dropped
        p = t.kernel.platform
        regs = p.getregs(t.ctx)
        regs.rdi = allowed
        p.setregs(t.ctx, regs)
    return _run_clone(t, allowed, pidfd)


def _clone_notified(t: Task, flags: int) -> int:
    """A clone that came as a notification (the filter's NOTIFY_IF_BITS_CLEAR: nothing of
    it is changed or made by the Sentry): its checks, then the host runs it as issued. The
    child comes as the ptrace event; a clone the host refuses has none (no exit stop shows
    it: the caller's reservation goes at its next clone, or when the table is full, as
    reserve_task drops a reservation whose task is not in a clone stop). A clone the
    Sentry rewrote at its stop (clone3 as clone, flags dropped) and let run meets the
    filter again, and may come here: it is that call, its checks done."""
    if t.ctx.rerun == "running":
        return HOST
    process.check_clone_flags(flags)
    _check_nproc(t)
    process.reserve_task(t.kernel, t)
    t.ctx.clone_flags = flags
    t.ctx.clone_child = None
    return HOST


def sys_clone3(t: Task, a: Args) -> int:
    """Implements clone3(2): its checks, then the host runs the same clone as clone(2)
    (rewritten in the stopped task's registers). Differences: set_tid gets EPERM (the host
    picks pids), and CLONE_INTO_CGROUP EBADF (the sandbox has no cgroup directories)."""
    (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, tids,
     _) = _clone3_args(t, a.ptr(0), a.ulong(1))
    if flags & process.CLONE_PIDFD and flags & process.CLONE_PARENT_SETTID \
            and pidfd == parent_tid:
        raise EINVAL()
    allowed = process.check_clone_flags(flags & 0xFFFFFFFF, newtime=True)
    pidfd_at = pidfd if flags & process.CLONE_PIDFD else None
    if tids or flags & CLONE_INTO_CGROUP:
        _clone3_refused(t, tids, pidfd_at)
    legacy = (allowed | exit_signal, stack + stack_size if stack else 0, parent_tid,
              child_tid, tls)
    return _run_clone(t, allowed | exit_signal, pidfd_at, legacy,
                      bool(flags & CLONE_CLEAR_SIGHAND))


def _clone3_args(t: Task, addr: int, size: int) -> tuple:
    """struct clone_args, checked in the order of Linux's copy_clone_args_from_user and
    clone3_args_valid, with set_tid read as a tuple of tids."""
    if size > PAGE_SIZE:
        raise E2BIG()
    if size < CLONE_ARGS_SIZE_VER0:
        raise EINVAL()
    raw = t.mem.read(addr, size)
    if raw[CLONE_ARGS.size:].count(0) != len(raw[CLONE_ARGS.size:]):
        raise E2BIG()  # a newer struct whose fields this kernel does not know
    args = list(CLONE_ARGS.unpack(raw[:CLONE_ARGS.size].ljust(CLONE_ARGS.size, b"\0")))
    flags, exit_signal, stack, stack_size, set_tid, set_tid_size, cgroup = (
        args[0], args[4], args[5], args[6], args[8], args[9], args[10])
    if (set_tid_size > MAX_PID_NS_LEVEL or bool(set_tid) != bool(set_tid_size)
            or exit_signal > 64
            or flags & CLONE_INTO_CGROUP and (cgroup > 0x7FFFFFFF or size < CLONE_ARGS.size)):
        raise EINVAL()
    args[8] = struct.unpack(f"<{set_tid_size}i", t.mem.read(set_tid, 4 * set_tid_size))
    if (flags & ~(0xFFFFFFFF | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP)
            or flags & (process.CLONE_DETACHED | 0x7F)  # 0x80 is CLONE_NEWTIME
            or flags & process.CLONE_SIGHAND and flags & CLONE_CLEAR_SIGHAND
            or flags & (process.CLONE_THREAD | process.CLONE_PARENT) and exit_signal
            or bool(stack) != bool(stack_size) or stack + stack_size > TASK_SIZE):
        raise EINVAL()
    del args[9]
    return tuple(args)


def _clone3_refused(t: Task, tids: tuple[int, ...], pidfd: int | None) -> None:
    """What clone3 cannot do here fails where Linux's copy_process would fail it, after
    RLIMIT_NPROC: set_tid in alloc_pid (EINVAL for a tid out of range or more levels than
    the guest's one PID namespace, EPERM as without CAP_CHECKPOINT_RESTORE), then the
    pidfd's EFAULT or EMFILE, then CLONE_INTO_CGROUP's fd, which no cgroup directory can be
    (EBADF: the sandbox has none)."""
    _check_nproc(t)
    if tids:
        if len(tids) > 1 or not 1 <= tids[0] < process.pid_max():
            raise EINVAL()
        raise EPERM()
    if pidfd is not None:
        _check_pidfd_slot(t, pidfd)
    raise EBADF()


_UNSHARE_FLAGS = (process.CLONE_THREAD | process.CLONE_FS | process.CLONE_SIGHAND
                  | process.CLONE_VM | process.CLONE_FILES | process.CLONE_SYSVSEM
                  | process.NAMESPACE_FLAGS | process.CLONE_NEWTIME)


def sys_unshare(t: Task, a: Args) -> int:
    """Implements unshare(2): a private fd table (CLONE_FILES) or fs context (CLONE_FS),
    leaving a shared SysV undo list (CLONE_SYSVSEM); CLONE_THREAD, CLONE_SIGHAND and
    CLONE_VM only when there is nothing to unshare, as Linux. Differences: every namespace
    flag gets EPERM, CLONE_NEWUSER too (Linux lets an unprivileged user make a user
    namespace)."""
    flags = a.ulong(0)
    if flags & process.CLONE_NEWUSER:
        flags |= process.CLONE_THREAD | process.CLONE_FS
    if flags & process.CLONE_VM:
        flags |= process.CLONE_SIGHAND
    if flags & process.CLONE_SIGHAND:
        flags |= process.CLONE_THREAD
    if flags & process.CLONE_NEWNS:
        flags |= process.CLONE_FS
    if flags & ~_UNSHARE_FLAGS:
        raise EINVAL()
    shared = process.CLONE_THREAD | process.CLONE_SIGHAND | process.CLONE_VM
    if flags & shared and len(t.tg.tasks) > 1:
        raise EINVAL()
    if flags & (process.CLONE_SIGHAND | process.CLONE_VM) and any(
            x.tg.mm is t.tg.mm and x.tg is not t.tg for x in t.kernel.tasks.values()):
        raise EINVAL()  # a CLONE_VM process shares the address space (and its handlers)
    if flags & (process.NAMESPACE_FLAGS | process.CLONE_NEWTIME):
        raise EPERM()
    others = [x for x in t.kernel.tasks.values() if x is not t]
    if flags & process.CLONE_FS and any(x.fs is t.fs for x in others):
        t.fs = t.fs.copy()
    if flags & process.CLONE_FILES and any(x.fds is t.fds for x in others):
        t.fds = t.fds.fork()  # (the others keep the old table and its references)
    if flags & process.CLONE_SYSVSEM:
        process.leave_semundo(t.kernel, t)
    return 0


def sys_fork(t: Task, a: Args) -> int:
    """Implements fork(2)."""
    return _run_clone(t, SIGCHLD)


def sys_vfork(t: Task, a: Args) -> int:
    """Implements vfork(2)."""
    return _run_clone(t, process.CLONE_VM | process.CLONE_VFORK | SIGCHLD)


def _read_strings(t: Task, addr: int, total: list[int], snap: PageSnapshot) -> list[bytes]:
    if addr == 0:
        return []
    ptrs = snap.ptr_array(addr)
    if ptrs is None:
        ptrs = t.mem.read_ptr_array(addr, MAX_ARGS)
    block = snap.tail(min(ptrs)) if ptrs and max(ptrs) < snap.lo + len(snap.buf) else None
    if block is not None:
        lo = min(ptrs)  # (as _string_block reads it, to the end of the highest's page, or more)
    else:
        block, lo = _string_block(t, ptrs)
    out = _packed_strings(ptrs, block, lo)
    if out is not None:
        total[0] += sum(map(len, out)) + len(out)
        if total[0] > total[1]:
            raise E2BIG()
        return out
    out = []
    for p in ptrs:
        end = block.find(b"\0", p - lo) if lo <= p < lo + len(block) else -1
        if end >= 0 and end - (p - lo) < MAX_ARG_STRLEN:
            s = block[p - lo:end]
        else:  # outside the block, or not ended in it: the careful way (E2BIG, EFAULT)
            try:
                s = t.mem.read_cstr(p, MAX_ARG_STRLEN + 1)
            except ENAMETOOLONG:
                raise E2BIG() from None  # longer than MAX_ARG_STRLEN
        total[0] += len(s) + 1
        if len(s) >= MAX_ARG_STRLEN or total[0] > total[1]:
            raise E2BIG()
        out.append(s)
    return out


def _packed_strings(ptrs: list[int], block: bytes, lo: int) -> list[bytes] | None:
    """The strings at `ptrs` in one split of `block` (read from `lo`) when they lie back to
    back in it, as the kernel and libc lay out argv and envp; None otherwise, or when one
    is too long (the caller's string-by-string reading then says E2BIG or EFAULT)."""
    if not ptrs or not block or not lo <= ptrs[0] < lo + len(block):
        return None
    parts = block[ptrs[0] - lo:].split(b"\0", len(ptrs))
    if len(parts) <= len(ptrs):
        return None  # the last string does not end in the block
    del parts[-1]
    starts = list(itertools.accumulate(map((1).__add__, map(len, parts)), initial=ptrs[0]))
    if starts[:-1] != ptrs or max(map(len, parts)) >= MAX_ARG_STRLEN:
        return None
    return parts


def _string_block(t: Task, ptrs: list[int]) -> tuple[bytes, int]:
    """The strings of argv or envp usually lie together: one read from the lowest to the end
    of the page of the highest (each page holding a string start is mapped, or EFAULT);
    (b"", 0) when they are spread out. What a short read misses is read string by string."""
    if not ptrs:
        return b"", 0
    lo, hi = min(ptrs), max(ptrs)
    end = (hi | (loader.PAGE - 1)) + 1
    if end - lo > STRING_BLOCK_MAX:
        return b"", 0
    return t.mem.backend.read_raw(lo, end - lo), lo


def _execve(t: Task, dirfd: int, path_ptr: int, argv_ptr: int, envp_ptr: int, flags: int) -> int:
    if flags & ~(loader.AT_EMPTY_PATH | loader.AT_SYMLINK_NOFOLLOW):
        raise EINVAL()
    # The path, argv and envp usually lie within two pages (the caller's stack): one read.
    snap = PageSnapshot(t.mem, min((p for p in (path_ptr, argv_ptr, envp_ptr) if p), default=0))
    path = snap.cstr(path_ptr) if path_ptr else None
    if path is None or len(path) >= PATH_MAX:  # (the careful read says ENAMETOOLONG)
        path = t.mem.read_path(path_ptr)
    if not path and not flags & loader.AT_EMPTY_PATH:
        raise ENOENT()
    # The strings (the path's copy first) within Linux's bprm_stack_limits, less the
    # pointer arrays: E2BIG before the point of no return, the task intact.
    soft = t.tg.rlimits[RLIMIT_STACK][0]
    total = [len(path) + 1, max(min(soft // 4, STK_LIM // 4 * 3), ARG_MIN)]
    argv = _read_strings(t, argv_ptr, total, snap)
    envp = _read_strings(t, envp_ptr, total, snap)
    if total[0] + 8 * (max(len(argv), 1) + len(envp)) > total[1]:
        raise E2BIG()
    plan = loader.prepare(t, path, argv, envp, dirfd, flags)
    # The point of no return: the task becomes the stub, then the guest program.
    k = t.kernel
    p = k.platform
    try:
        fd = p.donate_stub(t.ctx)
        others = tuple(x.host_tid for x in t.tg.tasks if x is not t and x is not t.tg.leader)
        r = p.inject(t.ctx, SYS_execveat, fd, p.empty_string_addr, 0, 0, loader.AT_EMPTY_PATH,
                     exec_tid=t.tg.host_pid, others=others, to_exec_event=True)
    except BaseException:
        loader.release_plan(plan)
        raise
    if r != 0:
        loader.release_plan(plan)
        loader.log.error("exec of the stub failed in task %d: %d", t.vtid, r)
        lib.st_kill(t.host_tid, 9)
        return DETACHED
    if len(t.tg.tasks) > 1:
        process.exec_kills_others(k, t)  # the host killed them; this one is the leader now
    t.fds.close_on_exec(closing=lambda f: fd_closed(t.tg, f))
    t.tg.nocldwait = False  # exec clears every sa_flags
    t.tg.execed = True
    posix_timers.delete_all(t.tg)
    if loader.load(t, plan, enter=not (k.strace or k.report)):
        return DETACHED  # the stub's batch entered the program: the task runs
    return 0


def sys_execve(t: Task, a: Args) -> int:
    """Implements execve(2).

    Differences: argv and envp together are limited to about 120 KiB (E2BIG), the stub's
    initial stack.
    """
    return _execve(t, loader.AT_FDCWD, a.ptr(0), a.ptr(1), a.ptr(2), 0)


def sys_execveat(t: Task, a: Args) -> int:
    """Implements execveat(2)."""
    return _execve(t, a.int(0), a.ptr(1), a.ptr(2), a.ptr(3), a.int(4))


def _parent_thread(c: ThreadGroup) -> Task | None:
    """The thread whose child `c` is: the one that made it while it lives, then (as Linux
    reparents to a live thread of the group) the first live thread of the parent."""
    p = c.parent
    if p is None or not p.tasks:
        return None
    return c.parent_thread if c.parent_thread in p.tasks else p.tasks[0]


def _matches(t: Task, c: ThreadGroup, idtype: int, ident: int, options: int) -> bool:
    # Linux's eligible_child: a "clone" child (its exit signal is not SIGCHLD) only for
    # __WCLONE, the others only without it; __WALL takes both.
    if not options & WALL and (c.exit_signal != SIGCHLD) != bool(options & WCLONE):
        return False
    if options & WNOTHREAD and _parent_thread(c) is not t:
        return False
    if idtype == P_ALL:
        return True
    if idtype == P_PID:
        return c.vpid == ident
    return c.pgid == (t.tg.pgid if ident == 0 else ident)


def _find_report(t: Task, idtype: int, ident: int,
                 options: int) -> tuple[ThreadGroup, int] | None:
    """The child whose change the host would report first (children oldest first, each
    checked for exit, then stop, then continue) and its CLD_* code; ECHILD when no child
    matches at all."""
    candidates = sorted((c for c in t.tg.children if _matches(t, c, idtype, ident, options)),
                        key=lambda c: c.seq)
    if not candidates:
        raise ECHILD()
    for c in candidates:
        if c.exit_status is not None:
            if options & WEXITED:
                return c, CLD_EXITED
        elif options & WUNTRACED and c.wait_stop is not None:
            return c, CLD_STOPPED
        elif options & WCONTINUED and c.wait_cont:
            return c, CLD_CONTINUED
    return None


def _reap_on_host(t: Task, c: ThreadGroup, rusage: int) -> bool:
    """Makes the host reap `c` too, if it is the host child of the caller's process:
    wait4(c's pid, NULL, WNOHANG|__WALL, rusage) injected in the stopped caller (guest pids
    are the host's pids in the sandbox's namespace). Pinned to that pid, the host cannot
    reap another child that died meanwhile (an unpinned wait4(-1) could). The host writes
    the child's rusage; returns whether it did."""
    if c.host_parent is not t.tg:
        return False
    # Every signal blocked meanwhile: the child's SIGCHLD, pending now, would stop the
    # injected call and be re-sent without its siginfo (SI_KERNEL, not CLD_EXITED).
    old = ffi.new("unsigned long long *")
    rc = lib.st_swap_sigmask(t.host_tid, ALL_SIGNALS, old)
    if rc == -errno.ESRCH:
        return False  # killed meanwhile: its exit event follows
    check(rc, "block signals")
    try:
        r = t.kernel.platform.inject(t.ctx, SYS_wait4, c.vpid, 0, WNOHANG | WALL, rusage)
    finally:
        rc = lib.st_swap_sigmask(t.host_tid, old[0], ffi.new("unsigned long long *"))
        if rc != -errno.ESRCH:  # ESRCH: died meanwhile (TaskDied on its way)
            check(rc, "restore the signal mask")
    if r == -EFAULT.errno:
        raise EFAULT()  # reaped all the same, as Linux does before copying out
    if r != c.vpid:
        log.warning("host wait4 for pid %d of task %d gave %d", c.vpid, t.vtid, r)
        return False
    return bool(rusage)


def _host_reaps_as_issued(t: Task, c: ThreadGroup, pid: int, options: int) -> bool:
    """Whether wait4 can run on the host as the task issued it, to reap exited child `c`
    and report it exactly as the Sentry would (no register change, no exit stop): the
    call is still at its seccomp stop, names c's pid, and asks nothing the host would read
    differently (__WNOTHREAD, __WCLONE); c is the host child of the caller's process and
    its status is the host's own (ThreadGroup.host_status). The host writes the status and
    the rusage and returns the pid (the sandbox's PID namespace numbers are the guest's)."""
    k = t.kernel
    return (pid == c.vpid and c.host_parent is t.tg and c.host_status
            and t.ctx.where == ST_AT_ENTRY and k.platform.can_run_in_place(t.ctx)
            and not options & ~(WNOHANG | WUNTRACED | WCONTINUED | WALL)
            and (c.exit_signal == SIGCHLD or options & WALL) and not (k.strace or k.report))


def _consume(t: Task, c: ThreadGroup, code: int) -> None:
    """Takes the report wait returned (once its answer reached the task)."""
    if code == CLD_EXITED:
        _reap(t, c)
    elif code == CLD_STOPPED:
        c.wait_stop = None
    else:
        c.wait_cont = False


def _reap(t: Task, c: ThreadGroup) -> None:
    t.tg.children.discard(c)
    t.tg.note_reaped(c)
    c.parent = None
    t.kernel.thread_groups.pop(c.vpid, None)
    c.exit_waitq.notify(POLLHUP)  # its pidfds


def _selector(pid: int) -> tuple[int, int]:
    if pid < -1:
        return P_PGID, -pid
    if pid == -1:
        return P_ALL, 0
    if pid == 0:
        return P_PGID, 0
    return P_PID, pid


async def sys_wait4(t: Task, a: Args) -> int:
    """Implements wait4(2). Differences: rusage is zero for stop/continue reports and for
    children the host did not parent (orphans taken by a subreaper)."""
    pid, status_ptr, options, rusage = a.int(0), a.ptr(1), a.uint(2), a.ptr(3)
    if options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE):
        raise EINVAL()
    idtype, ident = _selector(pid)
    while True:
        found = _find_report(t, idtype, ident, options | WEXITED)
        if found is not None:
            c, code = found
            if code == CLD_EXITED and _host_reaps_as_issued(t, c, pid, options):
                _consume(t, c, code)  # the task is stopped: its answer cannot be lost
                return HOST
            if code == CLD_EXITED:
                assert c.exit_status is not None
                status = c.exit_status
            else:
                status = 0xFFFF if code == CLD_CONTINUED else (c.wait_stop or 0) << 8 | 0x7F
            _consume(t, c, code)  # the task is stopped: its answer cannot be lost
            rusage_done = code == CLD_EXITED and _reap_on_host(t, c, rusage)
            if status_ptr and t.mem.write_partial(status_ptr, struct.pack("<i", status)) != 4:
                raise EFAULT()
            if rusage and not rusage_done and t.mem.write_partial(rusage, bytes(144)) != 144:
                raise EFAULT()
            return c.vpid
        if options & WNOHANG:
            return 0
        await t.wait_on(t.tg.child_waitq, POLLIN)


def _pidfd_target(t: Task, fd: int) -> tuple[ThreadGroup, bool]:
    """The process a pidfd names (EBADF if `fd` is not one; ECHILD for a PIDFD_THREAD one
    naming a thread other than the leader, never a child) and whether it is O_NONBLOCK."""
    from sentry.vfs.fsimpl.pidfd import PidFd

    f = t.fds.get(fd)
    if not isinstance(f, PidFd):
        raise EBADF()
    if f.thread and f.task is not None and f.task.vtid != f.tg.vpid:
        raise ECHILD()
    return f.tg, bool(f.flags & O_NONBLOCK)


def _siginfo(c: ThreadGroup, code: int) -> bytes:
    """struct siginfo for SIGCHLD (128 bytes): signo, errno, code, pid, uid, status."""
    if code == CLD_EXITED:
        assert c.exit_status is not None
        code, status = process.exit_code_of(c.exit_status)
    else:
        status = SIGCONT if code == CLD_CONTINUED else c.wait_stop or 0
    uid = c.leader.creds.uid if c.tasks else c.exit_uid
    return struct.pack("<iii4xiIi", SIGCHLD, 0, code, c.vpid, uid, status).ljust(128, b"\0")


async def sys_waitid(t: Task, a: Args) -> int:
    """Implements waitid(2). Differences: rusage as in wait4."""
    idtype, ident, infop, options, rusage = a.int(0), a.int(1), a.ptr(2), a.uint(3), a.ptr(4)
    if options & ~(WNOHANG | WEXITED | WUNTRACED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL
                   | WCLONE) or not options & (WEXITED | WUNTRACED | WCONTINUED):
        raise EINVAL()
    if idtype not in (P_ALL, P_PID, P_PGID, P_PIDFD) or (idtype == P_PID and ident <= 0):
        raise EINVAL()
    nonblock = False
    if idtype == P_PIDFD:
        target, nonblock = _pidfd_target(t, ident)
        idtype, ident = P_PID, target.vpid
    while True:
        found = _find_report(t, idtype, ident, options)
        if found is not None:
            c, code = found
            info = _siginfo(c, code)  # before _consume: a reaped child has no tasks
            if not options & WNOWAIT:
                _consume(t, c, code)  # the task is stopped: its answer cannot be lost
                if code == CLD_EXITED and _reap_on_host(t, c, rusage):
                    rusage = 0
            if rusage and t.mem.write_partial(rusage, bytes(144)) != 144:
                raise EFAULT()
            if infop:
                t.mem.write(infop, info)
            return 0
        if options & WNOHANG or nonblock:
            if infop:
                t.mem.write(infop, bytes(128))
            if nonblock and not options & WNOHANG:
                raise EAGAIN()  # an O_NONBLOCK pidfd's child still running
            return 0
        await t.wait_on(t.tg.child_waitq, POLLIN)

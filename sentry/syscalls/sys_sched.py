"""Scheduling calls that name a task: affinity (the host applies it to the task's thread),
nice values and policies (the guest's view, sentry/kernel/sched.py)."""

from __future__ import annotations

import struct

from sentry.abi.errno import (BY_NUMBER, E2BIG, EACCES, EFAULT, EINVAL, EOPNOTSUPP, EPERM, ESRCH,
                              SysError)
from sentry.kernel.args import Args
from sentry.kernel.creds import CAP_SYS_ADMIN, CAP_SYS_NICE, capable
from sentry.kernel.process import task_by_vtid, task_or_caller
from sentry.kernel.sched import (MAX_RT_PRIO, RT_POLICIES, SCHED_DEADLINE, SCHED_FIFO,
                                 SCHED_IDLE, SCHED_RESET_ON_FORK, SCHED_RR, VALID_POLICIES,
                                 host_nice, host_slice_ns)
from sentry.kernel.task import Task
from sentry.platform.native import ffi, lib

MAX_MASK = 1 << 16  # bytes: far more CPUs than any host has


def _host_tid(t: Task, tid: int) -> int:
    return task_or_caller(t, tid).host_tid


def sys_sched_getaffinity(t: Task, a: Args) -> int:
    """Implements sched_getaffinity(2)."""
    tid, size, ptr = a.int(0), a.size(1), a.ptr(2)
    if size % 8 or size == 0:
        raise EINVAL()
    n = min(size, MAX_MASK)
    buf = ffi.new("unsigned char[]", n)
    r = lib.st_affinity(_host_tid(t, tid), 0, n, buf)
    if r < 0:
        raise BY_NUMBER[-r]()
    if t.mem.write_partial(ptr, bytes(ffi.buffer(buf, r))) != r:
        raise EFAULT()
    return r


def sys_sched_setaffinity(t: Task, a: Args) -> int:
    """Implements sched_setaffinity(2) (the host applies the mask to the task's thread)."""
    tid, size, ptr = a.int(0), a.size(1), a.ptr(2)
    n = min(size, MAX_MASK)
    data = t.mem.read(ptr, n)
    target = task_or_caller(t, tid)
    c, tc = t.creds, target.creds
    if c.euid not in (tc.euid, tc.uid) and not capable(c, CAP_SYS_NICE):
        raise EPERM()  # check_same_owner
    r = lib.st_affinity(target.host_tid, 1, n, data)
    if r < 0:
        raise BY_NUMBER[-r]()
    return 0


# --- nice values and policies (sentry/kernel/sched.py) ------------------------------------
PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2
RLIMIT_NICE, RLIMIT_RTPRIO = 13, 14
RR_INTERVAL_NS = 100_000_000  # Linux's RR_TIMESLICE: 100 ms whatever HZ


def _prio_targets(t: Task, which: int, who: int) -> list[Task]:
    """The threads getpriority/setpriority name (EINVAL for an unknown `which`)."""
    tasks = t.kernel.tasks.values()
    if which == PRIO_PROCESS:
        if who == 0:
            return [t]
        target = task_by_vtid(t.kernel, who)
        return [target] if target is not None else []
    if which == PRIO_PGRP:
        pgid = who or t.tg.pgid
        return [x for x in tasks if x.tg.pgid == pgid]
    if which == PRIO_USER:
        uid = who or t.creds.uid
        return [x for x in tasks if x.creds.uid == uid]
    raise EINVAL()


def sys_getpriority(t: Task, a: Args) -> int:
    """Implements getpriority(2): 20 - the lowest nice value of the threads named (the
    raw call's value; libc turns it into the nice value)."""
    targets = _prio_targets(t, a.int(0), a.int(1))
    if not targets:
        raise ESRCH()
    return max(20 - x.sched.nice for x in targets)


def _can_nice(t: Task, target: Task, nice: int) -> bool:
    """Linux's can_nice: the target's RLIMIT_NICE allows it, or the caller has
    CAP_SYS_NICE."""
    return 20 - nice <= target.tg.rlimits[RLIMIT_NICE][0] or capable(t.creds, CAP_SYS_NICE)


def _same_owner(t: Task, target: Task) -> bool:
    c, tc = t.creds, target.creds
    return c.euid in (tc.uid, tc.euid) or capable(c, CAP_SYS_NICE)


def sys_setpriority(t: Task, a: Args) -> int:
    """Implements setpriority(2), with set_one_prio's checks on each thread named (EPERM
    for another user's, EACCES for a lower value than RLIMIT_NICE allows)."""
    nice = min(max(a.int(2), -20), 19)
    targets = _prio_targets(t, a.int(0), a.int(1))
    error: type[SysError] | None = ESRCH
    for x in targets:
        if not _same_owner(t, x):
            error = EPERM
        elif nice < x.sched.nice and not _can_nice(t, x, nice):
            error = EACCES
        else:
            error = None if error is ESRCH else error
            x.sched.nice = nice
            host_nice(x.host_tid, nice)
    if error is not None:
        raise error()
    return 0


def _sched_target(t: Task, pid: int) -> Task:
    if pid < 0:
        raise EINVAL()
    return task_or_caller(t, pid)


def sys_sched_getscheduler(t: Task, a: Args) -> int:
    """Implements sched_getscheduler(2)."""
    s = _sched_target(t, a.int(0)).sched
    return s.policy | (SCHED_RESET_ON_FORK if s.reset_on_fork else 0)


def sys_sched_getparam(t: Task, a: Args) -> int:
    """Implements sched_getparam(2)."""
    pid, param = a.int(0), a.ptr(1)
    if not param:
        raise EINVAL()
    target = _sched_target(t, pid)
    t.mem.write(param, struct.pack("<i", target.sched.rt_priority))
    return 0


def _read_param(t: Task, pid: int, param: int) -> tuple[Task, int]:
    if not param or pid < 0:
        raise EINVAL()
    priority = struct.unpack("<i", t.mem.read(param, 4))[0]
    return task_or_caller(t, pid), priority


def sys_sched_setscheduler(t: Task, a: Args) -> int:
    """Implements sched_setscheduler(2): the guest's view only (sentry/kernel/sched.py)."""
    policy = a.int(1)
    if policy < 0:
        raise EINVAL()
    target, priority = _read_param(t, a.int(0), a.ptr(2))
    reset = bool(policy & SCHED_RESET_ON_FORK)
    return _set_policy(t, target, policy & ~SCHED_RESET_ON_FORK, priority, reset)


def sys_sched_setparam(t: Task, a: Args) -> int:
    """Implements sched_setparam(2): sched_setscheduler keeping the policy."""
    target, priority = _read_param(t, a.int(0), a.ptr(1))
    s = target.sched
    return _set_policy(t, target, s.policy, priority, s.reset_on_fork)


def _set_policy(t: Task, x: Task, policy: int, priority: int, reset: bool,
                nice: int | None = None, dl: tuple[int, int, int] | None = None) -> int:
    """__sched_setscheduler's checks, in its order, for a caller that may lack
    CAP_SYS_NICE (user_check_sched_setscheduler); `nice` and `dl` (runtime, deadline,
    period) come with sched_setattr."""
    if policy not in VALID_POLICIES or priority < 0 or priority > MAX_RT_PRIO - 1:
        raise EINVAL()
    rt = policy in RT_POLICIES
    if policy == SCHED_DEADLINE and (dl is None or not _dl_ok(*dl)) or rt != (priority != 0):
        raise EINVAL()
    s = x.sched
    rtprio = x.tg.rlimits[RLIMIT_RTPRIO][0]
    fair = not rt and policy != SCHED_DEADLINE
    if not capable(t.creds, CAP_SYS_NICE) and (
            fair and nice is not None and nice < s.nice and not _can_nice(t, x, nice)
            or rt and policy != s.policy and not rtprio
            or rt and priority > s.rt_priority and priority > rtprio
            or policy == SCHED_DEADLINE
            or s.policy == SCHED_IDLE and policy != SCHED_IDLE
            and 20 - s.nice > x.tg.rlimits[RLIMIT_NICE][0]
            or not _same_owner(t, x)
            or s.reset_on_fork and not reset):
        raise EPERM()
    s.policy, s.rt_priority, s.reset_on_fork = policy, priority, reset
    s.dl = dl if policy == SCHED_DEADLINE else (0, 0, 0)
    if fair and nice is not None and nice != s.nice:
        s.nice = nice
        host_nice(x.host_tid, nice)
    return 0


def _dl_ok(runtime: int, deadline: int, period: int) -> bool:
    """__checkparam_dl: runtime >= 1024 ns, runtime <= deadline <= period (the period
    defaulting to the deadline) within the 100 us .. 4 s of Linux's default sysctls."""
    period = period or deadline
    return (deadline != 0 and runtime >= 1024 and not (deadline | period) >> 63
            and 100_000 <= period <= 4_000_000_000 and runtime <= deadline <= period)


SCHED_ATTR = struct.Struct("<IIQiIQQQII")  # struct sched_attr (SCHED_ATTR_SIZE_VER1)
SCHED_ATTR_SIZE_VER0 = 48
SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_KEEP_POLICY, SCHED_FLAG_KEEP_PARAMS = 0x01, 0x08, 0x10
SCHED_FLAG_UTIL_CLAMP = 0x60
SCHED_FLAG_ALL = 0x7F


def sys_sched_getattr(t: Task, a: Args) -> int:
    """Implements sched_getattr(2): the guest's attributes (no utilization clamping:
    util_min and util_max 0, as a kernel without CONFIG_UCLAMP_TASK, like this host)."""
    pid, addr, usize, flags = a.int(0), a.ptr(1), a.uint(2), a.uint(3)
    if not addr or pid < 0 or usize > 4096 or usize < SCHED_ATTR_SIZE_VER0 or flags:
        raise EINVAL()
    target = task_or_caller(t, pid)
    s = target.sched
    size = min(usize, SCHED_ATTR.size)
    fair = s.policy not in RT_POLICIES and s.policy != SCHED_DEADLINE
    dl = s.dl
    if fair:  # a fair task's slice: its host thread's, as the host runs it
        got = ffi.new("unsigned long long *")
        dl = (got[0] if lib.st_sched_runtime(target.host_tid, got) == 0 else 0, 0, 0)
    t.mem.write(addr, SCHED_ATTR.pack(
        size, s.policy, SCHED_FLAG_RESET_ON_FORK if s.reset_on_fork else 0,
        s.nice if fair else 0, s.rt_priority, *dl, 0, 0)[:size])
    return 0


def sys_sched_setattr(t: Task, a: Args) -> int:
    """Implements sched_setattr(2): as sched_setscheduler, with the nice value of the
    fair policies and SCHED_DEADLINE's parameters (the guest's view: no admission
    control). Differences: utilization clamping is EOPNOTSUPP (no CONFIG_UCLAMP_TASK)."""
    pid, addr, flags = a.int(0), a.ptr(1), a.uint(2)
    if not addr or pid < 0 or flags:
        raise EINVAL()
    size = struct.unpack("<I", t.mem.read(addr, 4))[0] or SCHED_ATTR_SIZE_VER0
    raw = t.mem.read(addr, size) if SCHED_ATTR_SIZE_VER0 <= size <= 4096 else b""
    if not raw or raw[SCHED_ATTR.size:].count(0) != len(raw[SCHED_ATTR.size:]):
        t.mem.write(addr, struct.pack("<I", SCHED_ATTR.size))
        raise E2BIG()
    _, policy, sflags, nice, prio, runtime, deadline, period, _, _ = SCHED_ATTR.unpack(
        raw[:SCHED_ATTR.size].ljust(SCHED_ATTR.size, b"\0"))
    if sflags & SCHED_FLAG_UTIL_CLAMP and size < SCHED_ATTR.size or policy >= 1 << 31:
        raise EINVAL()
    target = task_or_caller(t, pid)
    cur = target.sched
    if sflags & SCHED_FLAG_KEEP_POLICY:
        policy = cur.policy
    if sflags & SCHED_FLAG_KEEP_PARAMS:
        nice, prio, (runtime, deadline, period) = cur.nice, cur.rt_priority, cur.dl
    if sflags & ~SCHED_FLAG_ALL:
        raise EINVAL()
    reset = bool(sflags & SCHED_FLAG_RESET_ON_FORK) if not sflags & SCHED_FLAG_KEEP_POLICY \
        else cur.reset_on_fork
    if sflags & SCHED_FLAG_UTIL_CLAMP:
        raise EOPNOTSUPP()
    return _set_policy(t, target, policy, prio, reset, min(max(nice, -20), 19),
                       (runtime, deadline, period) if policy == SCHED_DEADLINE else None)


def sys_sched_get_priority_max(t: Task, a: Args) -> int:
    """Implements sched_get_priority_max(2)."""
    policy = a.int(0)
    if policy not in VALID_POLICIES:
        raise EINVAL()
    return MAX_RT_PRIO - 1 if policy in RT_POLICIES else 0


def sys_sched_get_priority_min(t: Task, a: Args) -> int:
    """Implements sched_get_priority_min(2)."""
    policy = a.int(0)
    if policy not in VALID_POLICIES:
        raise EINVAL()
    return 1 if policy in RT_POLICIES else 0


def sys_sched_rr_get_interval(t: Task, a: Args) -> int:
    """Implements sched_rr_get_interval(2): 0 for SCHED_FIFO, Linux's 100 ms for SCHED_RR,
    and for the others what the host's scheduler says of the task's thread (it runs it
    under CFS)."""
    target = _sched_target(t, a.int(0))
    if target.sched.policy == SCHED_FIFO:
        ns = 0
    elif target.sched.policy == SCHED_RR:
        ns = RR_INTERVAL_NS
    else:
        ns = host_slice_ns(target.host_tid)
        if ns is None:
            raise ESRCH()  # gone meanwhile
    t.mem.write(a.ptr(1), struct.pack("<qq", ns // 1_000_000_000, ns % 1_000_000_000))
    return 0


# --- I/O priorities ----------------------------------------------------------------------
IOPRIO_CLASS_NONE, IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE = 0, 1, 2, 3
IOPRIO_BE_NORM = 4


def sys_ioprio_set(t: Task, a: Args) -> int:
    """Implements ioprio_set(2): the guest's view (the host's I/O scheduler does not see
    the Sentry's files, which it reads itself). Checks as Linux's ioprio_check_cap, then
    each task named (EPERM for another user's without CAP_SYS_NICE)."""
    which, who, ioprio = a.int(0), a.int(1), a.int(2)
    cls, level = ioprio >> 13 & 7, ioprio & 7
    if cls == IOPRIO_CLASS_RT and not (capable(t.creds, CAP_SYS_NICE)
                                       or capable(t.creds, CAP_SYS_ADMIN)):
        raise EPERM()
    if cls > IOPRIO_CLASS_IDLE or cls == IOPRIO_CLASS_NONE and level:
        raise EINVAL()
    targets = _prio_targets(t, _IOPRIO_WHO.get(which, -1), who)
    if not targets:
        raise ESRCH()
    c = t.creds
    for x in targets:
        if x.creds.uid not in (c.euid, c.uid) and not capable(c, CAP_SYS_NICE):
            raise EPERM()
        x.sched.ioprio = ioprio
    return 0


def sys_ioprio_get(t: Task, a: Args) -> int:
    """Implements ioprio_get(2): one task's value, or the best of a group's or a user's
    (Linux's ioprio_best: an unset value counts as best-effort level 4)."""
    which, who = a.int(0), a.int(1)
    targets = _prio_targets(t, _IOPRIO_WHO.get(which, -1), who)
    if not targets:
        raise ESRCH()
    best = targets[0].sched.ioprio
    for x in targets[1:]:
        best = min(_ioprio_norm(best), _ioprio_norm(x.sched.ioprio))
    return best


def _ioprio_norm(v: int) -> int:
    return v if v >> 13 & 7 != IOPRIO_CLASS_NONE else IOPRIO_CLASS_BE << 13 | IOPRIO_BE_NORM


_IOPRIO_WHO = {1: PRIO_PROCESS, 2: PRIO_PGRP, 3: PRIO_USER}

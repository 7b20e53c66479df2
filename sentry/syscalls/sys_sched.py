"""Scheduling calls that name a task: the Sentry translates the guest tid to the host's."""

from __future__ import annotations

from sentry.abi.errno import BY_NUMBER, EFAULT, EINVAL, EPERM
from sentry.kernel.args import Args
from sentry.kernel.creds import CAP_SYS_NICE, capable
from sentry.kernel.process import task_or_caller
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

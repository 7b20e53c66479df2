"""process_vm_readv and process_vm_writev between the sandbox's processes.

The Sentry copies between the two tasks' memories itself (it reaches both through its
own host process_vm calls), with Linux's checks: ptrace attach rights over the target
(EPERM), remote iovecs done in order, a count of the bytes moved when some were (the copy
stops at the first fault), EFAULT when none were. Page protections are the host's: a
read of a PROT_NONE page or a write to a read-only one faults, as on Linux.
"""

from __future__ import annotations

from sentry.abi.errno import EFAULT, EINVAL, EPERM, ESRCH
from sentry.kernel.args import Args
from sentry.kernel.creds import may_inspect
from sentry.kernel.process import task_by_vtid
from sentry.kernel.task import Task
from sentry.syscalls.sys_read_write import IOV_MAX, _iovecs


def _remote(t: Task, addr: int, count: int) -> list[tuple[int, int]]:
    """The remote iovecs (EINVAL for too many, or a length that is negative as ssize_t)."""
    if count > IOV_MAX:
        raise EINVAL()
    iovs = t.mem.read_iovecs(addr, count)
    if any(length >= 1 << 63 for _, length in iovs):
        raise EINVAL()
    return iovs


def _copy(t: Task, a: Args, write: bool) -> int:
    pid, flags = a.int(0), a.ulong(5)
    if flags:
        raise EINVAL()
    local = _iovecs(t, a.ptr(1), a.ulong(2))
    if not sum(n for _, n in local):
        return 0
    remote = _remote(t, a.ptr(3), a.ulong(4))
    target = task_by_vtid(t.kernel, pid)
    if target is None:
        raise ESRCH()
    if not may_inspect(t.creds, target, target.tg is t.tg):
        raise EPERM()
    src, dst = (t.mem, target.mem) if write else (target.mem, t.mem)
    li, loff, total = 0, 0, 0
    for base, length in remote:
        while length and li < len(local):
            lbase, llen = local[li]
            n = min(length, llen - loff)
            if n:
                at_src, at_dst = (lbase + loff, base) if write else (base, lbase + loff)
                data = src.read_partial(at_src, n)
                moved = dst.write_partial(at_dst, data) if data else 0
                total += moved
                if moved < n:
                    if not total:
                        raise EFAULT()
                    return total
                base, length, loff = base + n, length - n, loff + n
            if loff == llen:
                li, loff = li + 1, 0
    return total


def sys_process_vm_readv(t: Task, a: Args) -> int:
    """Implements process_vm_readv(2)."""
    return _copy(t, a, write=False)


def sys_process_vm_writev(t: Task, a: Args) -> int:
    """Implements process_vm_writev(2)."""
    return _copy(t, a, write=True)

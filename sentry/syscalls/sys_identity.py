"""Credentials as the guest sees them (the host ids never change)."""

from __future__ import annotations

from sentry.abi.errno import EINVAL
from sentry.kernel.args import Args
from sentry.kernel.task import Task

NGROUPS_MAX = 65536


def sys_getuid(t: Task, a: Args) -> int:
    """Implements getuid(2)."""
    return t.creds.uid


def sys_geteuid(t: Task, a: Args) -> int:
    """Implements geteuid(2)."""
    return t.creds.euid


def sys_getgid(t: Task, a: Args) -> int:
    """Implements getgid(2)."""
    return t.creds.gid


def sys_getegid(t: Task, a: Args) -> int:
    """Implements getegid(2)."""
    return t.creds.egid


def sys_getresuid(t: Task, a: Args) -> int:
    """Implements getresuid(2)."""
    c = t.creds
    for i, v in enumerate((c.uid, c.euid, c.suid)):
        t.mem.write_u32(a.ptr(i), v)
    return 0


def sys_getresgid(t: Task, a: Args) -> int:
    """Implements getresgid(2)."""
    c = t.creds
    for i, v in enumerate((c.gid, c.egid, c.sgid)):
        t.mem.write_u32(a.ptr(i), v)
    return 0


def sys_getgroups(t: Task, a: Args) -> int:
    """Implements getgroups(2)."""
    size, groups = a.int(0), t.creds.groups
    if size < 0:
        raise EINVAL()
    if size == 0:
        return len(groups)
    if size < len(groups):
        raise EINVAL()
    t.mem.write(a.ptr(1), b"".join(g.to_bytes(4, "little") for g in groups))
    return len(groups)

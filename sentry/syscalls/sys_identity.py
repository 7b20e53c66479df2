"""Credentials as the guest sees them (the host ids never change)."""

from __future__ import annotations

from sentry.abi.errno import EINVAL, EPERM
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


# --- changing ids: Linux's rules, with "privileged" meaning the guest's euid is 0 ---------

_UNSET = 0xFFFFFFFF


def _priv(t: Task) -> bool:
    return t.creds.euid == 0


def sys_setuid(t: Task, a: Args) -> int:
    """Implements setuid(2). Differences: privilege is euid 0 (no separate capabilities)."""
    uid, c = a.uint(0), t.creds
    if uid == _UNSET:
        raise EINVAL()
    if _priv(t):
        c.uid = c.euid = c.suid = c.fsuid = uid
    elif uid in (c.uid, c.suid):
        c.euid = c.fsuid = uid
    else:
        raise EPERM()
    return 0


def sys_setgid(t: Task, a: Args) -> int:
    """Implements setgid(2). Differences: privilege is euid 0 (no separate capabilities)."""
    gid, c = a.uint(0), t.creds
    if gid == _UNSET:
        raise EINVAL()
    if _priv(t):
        c.gid = c.egid = c.sgid = c.fsgid = gid
    elif gid in (c.gid, c.sgid):
        c.egid = c.fsgid = gid
    else:
        raise EPERM()
    return 0


def sys_setreuid(t: Task, a: Args) -> int:
    """Implements setreuid(2)."""
    r, e, c = a.uint(0), a.uint(1), t.creds
    if not _priv(t):
        if r != _UNSET and r not in (c.uid, c.euid):
            raise EPERM()
        if e != _UNSET and e not in (c.uid, c.euid, c.suid):
            raise EPERM()
    old_uid = c.uid
    if r != _UNSET:
        c.uid = r
    if e != _UNSET:
        c.euid = e
    if r != _UNSET or (e != _UNSET and e != old_uid):
        c.suid = c.euid
    c.fsuid = c.euid
    return 0


def sys_setregid(t: Task, a: Args) -> int:
    """Implements setregid(2)."""
    r, e, c = a.uint(0), a.uint(1), t.creds
    if not _priv(t):
        if r != _UNSET and r not in (c.gid, c.egid):
            raise EPERM()
        if e != _UNSET and e not in (c.gid, c.egid, c.sgid):
            raise EPERM()
    old_gid = c.gid
    if r != _UNSET:
        c.gid = r
    if e != _UNSET:
        c.egid = e
    if r != _UNSET or (e != _UNSET and e != old_gid):
        c.sgid = c.egid
    c.fsgid = c.egid
    return 0


def sys_setresuid(t: Task, a: Args) -> int:
    """Implements setresuid(2)."""
    new, c = (a.uint(0), a.uint(1), a.uint(2)), t.creds
    if not _priv(t) and any(v != _UNSET and v not in (c.uid, c.euid, c.suid) for v in new):
        raise EPERM()
    for name, v in zip(("uid", "euid", "suid"), new, strict=True):
        if v != _UNSET:
            setattr(c, name, v)
    c.fsuid = c.euid
    return 0


def sys_setresgid(t: Task, a: Args) -> int:
    """Implements setresgid(2)."""
    new, c = (a.uint(0), a.uint(1), a.uint(2)), t.creds
    if not _priv(t) and any(v != _UNSET and v not in (c.gid, c.egid, c.sgid) for v in new):
        raise EPERM()
    for name, v in zip(("gid", "egid", "sgid"), new, strict=True):
        if v != _UNSET:
            setattr(c, name, v)
    c.fsgid = c.egid
    return 0


def sys_setfsuid(t: Task, a: Args) -> int:
    """Implements setfsuid(2): returns the previous fsuid whether or not it changed."""
    v, c = a.uint(0), t.creds
    old = c.fsuid
    if v != _UNSET and (_priv(t) or v in (c.uid, c.euid, c.suid, c.fsuid)):
        c.fsuid = v
    return old


def sys_setfsgid(t: Task, a: Args) -> int:
    """Implements setfsgid(2): returns the previous fsgid whether or not it changed."""
    v, c = a.uint(0), t.creds
    old = c.fsgid
    if v != _UNSET and (_priv(t) or v in (c.gid, c.egid, c.sgid, c.fsgid)):
        c.fsgid = v
    return old


def sys_setgroups(t: Task, a: Args) -> int:
    """Implements setgroups(2)."""
    size = a.int(0)
    if not 0 <= size <= NGROUPS_MAX:
        raise EINVAL()
    if not _priv(t):
        raise EPERM()
    data = t.mem.read(a.ptr(1), 4 * size)
    groups = {int.from_bytes(data[i : i + 4], "little") for i in range(0, 4 * size, 4)}
    t.creds.groups = sorted(groups)
    return 0

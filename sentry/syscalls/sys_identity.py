"""Credentials as the guest sees them (the host ids never change)."""

from __future__ import annotations

from sentry.abi.errno import EINVAL, EPERM
from sentry.kernel.args import Args
from sentry.kernel.creds import CAP_SETGID, CAP_SETUID, NGROUPS_MAX, capable
from sentry.kernel.task import Task



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


# --- changing ids: Linux's rules; privileged means CAP_SETUID (uids) or CAP_SETGID (gids) --

_UNSET = 0xFFFFFFFF

# The user and the group sets of ids follow the same rules: each helper takes the names of
# the (real, effective, saved, filesystem) fields it works on.
UIDS = ("uid", "euid", "suid", "fsuid")
GIDS = ("gid", "egid", "sgid", "fsgid")


def _priv(t: Task, names: tuple[str, ...]) -> bool:
    return capable(t.creds, CAP_SETUID if names is UIDS else CAP_SETGID)


def _changing(t: Task, names: tuple[str, ...]) -> tuple[int, int, int]:
    """The uids before a change, for _fix_caps (unused for gids)."""
    c = t.creds
    return c.uid, c.euid, c.suid


def _fix_caps(t: Task, names: tuple[str, ...], old: tuple[int, int, int]) -> None:
    """A uid change's effect on the capability sets (capabilities(7)). As in Linux, the
    fsuid that follows the euid here does not raise or drop the fs caps on its own."""
    if names is UIDS:
        t.creds.fix_setuid(*old)


def _ids(t: Task) -> tuple[int, int, int, int, int]:
    c = t.creds
    return c.euid, c.egid, c.fsuid, c.fsgid, c.permitted


def _commit(t: Task, before: tuple[int, int, int, int, int]) -> None:
    """commit_creds: a new effective or filesystem id, or a capability gained, makes the
    process not dumpable (fs.suid_dumpable 0)."""
    now = _ids(t)
    if now[:4] != before[:4] or now[4] & ~before[4]:
        t.tg.dumpable = 0


def _set_id(t: Task, names: tuple[str, ...], v: int) -> int:
    """setuid/setgid: all four when privileged, else the effective one to the real or saved."""
    c = t.creds
    real, eff, saved, fs = names
    if v == _UNSET:
        raise EINVAL()
    old = _changing(t, names)
    if _priv(t, names):
        for n in names:
            setattr(c, n, v)
    elif v in (getattr(c, real), getattr(c, saved)):
        setattr(c, eff, v)
        setattr(c, fs, v)
    else:
        raise EPERM()
    _fix_caps(t, names, old)
    return 0


def _set_re(t: Task, names: tuple[str, ...], r: int, e: int) -> int:
    """setreuid/setregid, with Linux's rule for when the saved id follows the effective."""
    c = t.creds
    real, eff, saved, fs = names
    old_real, old_eff = getattr(c, real), getattr(c, eff)
    old = _changing(t, names)
    if not _priv(t, names):
        if r != _UNSET and r not in (old_real, old_eff):
            raise EPERM()
        if e != _UNSET and e not in (old_real, old_eff, getattr(c, saved)):
            raise EPERM()
    if r != _UNSET:
        setattr(c, real, r)
    if e != _UNSET:
        setattr(c, eff, e)
    if r != _UNSET or (e != _UNSET and e != old_real):
        setattr(c, saved, getattr(c, eff))
    setattr(c, fs, getattr(c, eff))
    _fix_caps(t, names, old)
    return 0


def _set_res(t: Task, names: tuple[str, ...], new: tuple[int, int, int]) -> int:
    """setresuid/setresgid: unprivileged, each new id must be one of the current three."""
    c = t.creds
    current = tuple(getattr(c, n) for n in names[:3])
    old = _changing(t, names)
    if not _priv(t, names) and any(v != _UNSET and v not in current for v in new):
        raise EPERM()
    for name, v in zip(names[:3], new, strict=True):
        if v != _UNSET:
            setattr(c, name, v)
    setattr(c, names[3], getattr(c, names[1]))
    _fix_caps(t, names, old)
    return 0


def _set_fs(t: Task, names: tuple[str, ...], v: int) -> int:
    """setfsuid/setfsgid: returns the previous value whether or not it changed."""
    c = t.creds
    old = getattr(c, names[3])
    if v != _UNSET and (_priv(t, names) or v in tuple(getattr(c, n) for n in names)):
        setattr(c, names[3], v)
        if names is UIDS and v != old:
            c.fix_setfsuid(old)
    return old


def sys_setuid(t: Task, a: Args) -> int:
    """Implements setuid(2)."""
    before = _ids(t)
    r = _set_id(t, UIDS, a.uint(0))
    _commit(t, before)
    return r


def sys_setgid(t: Task, a: Args) -> int:
    """Implements setgid(2)."""
    before = _ids(t)
    r = _set_id(t, GIDS, a.uint(0))
    _commit(t, before)
    return r


def sys_setreuid(t: Task, a: Args) -> int:
    """Implements setreuid(2)."""
    before = _ids(t)
    r = _set_re(t, UIDS, a.uint(0), a.uint(1))
    _commit(t, before)
    return r


def sys_setregid(t: Task, a: Args) -> int:
    """Implements setregid(2)."""
    before = _ids(t)
    r = _set_re(t, GIDS, a.uint(0), a.uint(1))
    _commit(t, before)
    return r


def sys_setresuid(t: Task, a: Args) -> int:
    """Implements setresuid(2)."""
    before = _ids(t)
    r = _set_res(t, UIDS, (a.uint(0), a.uint(1), a.uint(2)))
    _commit(t, before)
    return r


def sys_setresgid(t: Task, a: Args) -> int:
    """Implements setresgid(2)."""
    before = _ids(t)
    r = _set_res(t, GIDS, (a.uint(0), a.uint(1), a.uint(2)))
    _commit(t, before)
    return r


def sys_setfsuid(t: Task, a: Args) -> int:
    """Implements setfsuid(2)."""
    before = _ids(t)
    r = _set_fs(t, UIDS, a.uint(0))
    _commit(t, before)
    return r


def sys_setfsgid(t: Task, a: Args) -> int:
    """Implements setfsgid(2)."""
    before = _ids(t)
    r = _set_fs(t, GIDS, a.uint(0))
    _commit(t, before)
    return r


def sys_setgroups(t: Task, a: Args) -> int:
    """Implements setgroups(2)."""
    size = a.int(0)
    if not 0 <= size <= NGROUPS_MAX:
        raise EINVAL()
    if not _priv(t, GIDS):
        raise EPERM()
    data = t.mem.read(a.ptr(1), 4 * size)
    groups = {int.from_bytes(data[i : i + 4], "little") for i in range(0, 4 * size, 4)}
    t.creds.groups = sorted(groups)
    return 0

"""capget(2) and capset(2): a task's capability sets (the rules live in kernel/creds.py)."""

from __future__ import annotations

import struct

from sentry.abi.errno import EINVAL, EPERM
from sentry.kernel.args import Args
from sentry.kernel.creds import ALL_CAPS, CAP_SETPCAP, capable
from sentry.kernel.process import task_or_caller
from sentry.kernel.task import Task

LINUX_CAPABILITY_VERSION_1 = 0x19980330
LINUX_CAPABILITY_VERSION_2 = 0x20071026
LINUX_CAPABILITY_VERSION_3 = 0x20080522
_WORDS = {LINUX_CAPABILITY_VERSION_1: 1, LINUX_CAPABILITY_VERSION_2: 2,
          LINUX_CAPABILITY_VERSION_3: 2}
_HEADER = struct.Struct("<Ii")  # version, pid
_DATA = struct.Struct("<III")  # effective, permitted, inheritable (one 32-bit word each)
_LOW = 0xFFFFFFFF


def _header(t: Task, hdr: int) -> tuple[int, int]:
    """(words, pid); an unknown version is EINVAL after writing back the preferred one."""
    version, pid = _HEADER.unpack(t.mem.read(hdr, _HEADER.size))
    words = _WORDS.get(version)
    if words is None:
        t.mem.write_u32(hdr, LINUX_CAPABILITY_VERSION_3)
        raise EINVAL()
    return words, pid


def sys_capget(t: Task, a: Args) -> int:
    """Implements capget(2)."""
    hdr, data = a.ptr(0), a.ptr(1)
    try:
        words, pid = _header(t, hdr)
    except EINVAL:
        if data == 0:
            return 0  # asking for the preferred version
        raise
    if data == 0:
        return 0
    if pid < 0:
        raise EINVAL()
    c = task_or_caller(t, pid).creds
    sets = (c.effective, c.permitted, c.inheritable)
    t.mem.write(data, b"".join(_DATA.pack(*((s >> 32 * i) & _LOW for s in sets))
                               for i in range(words)))
    return 0


def sys_capset(t: Task, a: Args) -> int:
    """Implements capset(2): only the caller's own sets (pid 0 or its own tid)."""
    words, pid = _header(t, a.ptr(0))
    if pid != 0 and pid != t.vtid:
        raise EPERM()
    raw = t.mem.read(a.ptr(1), _DATA.size * words)
    eff = perm = inh = 0
    for i in range(words):  # version 1 gives the low 32 capabilities: the others are 0
        e, p, h = _DATA.unpack_from(raw, _DATA.size * i)
        eff, perm, inh = eff | e << 32 * i, perm | p << 32 * i, inh | h << 32 * i
    eff, perm, inh = eff & ALL_CAPS, perm & ALL_CAPS, inh & ALL_CAPS  # unknown bits: dropped
    c = t.creds
    if inh & ~(c.inheritable | c.permitted) and not capable(c, CAP_SETPCAP):
        raise EPERM()
    if inh & ~(c.inheritable | c.bounding):
        raise EPERM()
    if perm & ~c.permitted or eff & ~perm:
        raise EPERM()
    c.effective, c.permitted, c.inheritable = eff, perm, inh
    c.ambient &= perm & inh
    return 0

"""/proc/<pid>/maps and smaps: the host's view of the task's address space, renamed.

The host knows the address space (the task's mappings are host mappings); the Sentry
knows the names. Each host line keeps its range, permissions and offset; a file mapping
gets the guest path, device and inode the Sentry recorded when it donated the fd
(sentry/vfs/mapnames.py), or is shown anonymous when it was not one of those (the
exec stub, anything unknown): no host path or host device number is ever shown. The
emulated brk area is labelled [heap] as Linux labels it.
"""

from __future__ import annotations

import os
import re
from typing import Any

from sentry.vfs.fsimpl.host.machine import task_proc_file

_LINE = re.compile(
    rb"^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (\d+)\s*(.*)$")
_KEEP = (b"[stack]", b"[vdso]", b"[vvar]", b"[vvar_vclock]", b"[vsyscall]", b"[heap]")


def _rename(t: Any, tg: Any, m: re.Match[bytes]) -> bytes:
    start, end, perms, off, major, minor, ino, name = m.groups()
    gdev, gino, gname = 0, 0, b""
    if name in _KEEP or name.startswith(b"[anon:"):
        gname = name
    elif int(ino):
        host_dev = os.makedev(int(major, 16), int(minor, 16))
        hit = t.fs.root.mount.vfs.map_names.get(host_dev, int(ino))
        if hit is not None:
            gname, gdev, gino = hit
    if not gname and not int(ino):
        mm = getattr(tg, "mm", None)
        # Linux's test: the area overlaps [start_brk, brk].
        if mm is not None and mm.brk and int(start, 16) <= mm.brk and int(end, 16) >= mm.brk_start:
            gname = b"[heap]"
    if not gname:
        off = b"00000000"
    head = b"%s-%s %s %s %02x:%02x %d " % (start, end, perms, off, os.major(gdev),
                                          os.minor(gdev), gino)
    return head + b" " * (73 - len(head)) + gname if gname else head


def _host_pid(tg: Any) -> int | None:
    return getattr(tg, "host_pid", None)


def maps(t: Any, tg: Any) -> bytes:
    pid = _host_pid(tg)
    if pid is None:
        return b""
    out = []
    for line in task_proc_file(pid, "maps").splitlines():
        m = _LINE.match(line)
        if m:
            out.append(_rename(t, tg, m) + b"\n")
    return b"".join(out)


def smaps(t: Any, tg: Any) -> bytes:
    """The host's smaps with each mapping's header line renamed as in maps."""
    pid = _host_pid(tg)
    if pid is None:
        return b""
    out = []
    for line in task_proc_file(pid, "smaps").splitlines():
        m = _LINE.match(line)
        out.append((_rename(t, tg, m) if m else line) + b"\n")
    return b"".join(out)

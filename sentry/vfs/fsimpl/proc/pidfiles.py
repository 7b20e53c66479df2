"""/proc/<pid>/ files generated from a thread group: cmdline, comm, status, stat, mounts."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def comm(tg: Any) -> bytes:
    c = getattr(tg, "comm", None)
    if c:
        return c[:15]
    return os.path.basename(tg.exe_path)[:15]


def _state(t: Any, tg: Any) -> tuple[str, str]:
    return ("R", "running") if t.tg is tg else ("S", "sleeping")


def status(t: Any, tg: Any) -> bytes:
    c = tg.leader.creds
    tasks = getattr(tg, "tasks", None) or [tg.leader]
    st, desc = _state(t, tg)
    lines = [
        f"Name:\t{comm(tg).decode(errors='replace')}",
        f"Umask:\t{tg.leader.fs.umask:04o}",
        f"State:\t{st} ({desc})",
        f"Tgid:\t{tg.vpid}",
        "Ngid:\t0",
        f"Pid:\t{tg.vpid}",
        f"PPid:\t{tg.ppid}",
        "TracerPid:\t0",
        f"Uid:\t{c.uid}\t{c.euid}\t{c.suid}\t{c.fsuid}",
        f"Gid:\t{c.gid}\t{c.egid}\t{c.sgid}\t{c.fsgid}",
        f"FDSize:\t{max(64, len(tg.leader.fds))}",
        "Groups:\t" + " ".join(str(g) for g in c.groups),
        f"Threads:\t{len(tasks)}",
        "Seccomp:\t0",
        f"Cpus_allowed_list:\t0-{(os.cpu_count() or 1) - 1}",
    ]
    return ("\n".join(lines) + "\n").encode()


def stat(t: Any, tg: Any) -> bytes:
    tasks = getattr(tg, "tasks", None) or [tg.leader]
    st, _ = _state(t, tg)
    pgid = getattr(tg, "pgid", tg.vpid)
    sid = getattr(tg, "sid", tg.vpid)
    # Fields 1-52 of proc(5); counters the Sentry does not keep are 0.
    fields = [tg.vpid, f"({comm(tg).decode(errors='replace')})", st, tg.ppid, pgid, sid,
              0, -1, 0x400000, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, len(tasks), 0, 0, 0, 0,
              (1 << 64) - 1] + [0] * 27
    return (" ".join(str(f) for f in fields) + "\n").encode()


def cmdline(t: Any, tg: Any) -> bytes:
    return tg.cmdline


def environ(t: Any, tg: Any) -> bytes:
    return getattr(tg, "environ", b"")


def mounts(t: Any, tg: Any) -> bytes:
    from sentry.vfs.resolve import path_of

    root = tg.leader.fs.root
    vfs = root.mount.vfs
    out = []
    for m in vfs.order:
        where = b"/" if m.parent is None else path_of(root, type(root)(m.parent, m.point))
        opts = b"ro" if m.flags & 1 or m.fs.read_only else b"rw"
        out.append(b"%s %s %s %s,relatime 0 0\n" % (m.fs.source().encode(), where,
                                                    m.fs.name.encode(), opts))
    return b"".join(out)


FILES: dict[str, Callable[[Any, Any], bytes]] = {
    "cmdline": cmdline, "comm": lambda t, tg: comm(tg) + b"\n", "status": status,
    "stat": stat, "mounts": mounts, "environ": environ,
}

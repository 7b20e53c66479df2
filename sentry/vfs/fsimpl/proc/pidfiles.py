"""/proc/<pid>/ files generated from a thread group: cmdline, comm, status, stat, limits
(mounts, mountinfo: mounts.py; maps, smaps: maps.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from sentry.kernel.thread_group import RLIM_INFINITY
from sentry.vfs.fsimpl.host.machine import task_proc_file
from sentry.vfs.fsimpl.proc import maps as _maps
from sentry.vfs.fsimpl.proc import mounts as _mounts


def comm(tg: Any) -> bytes:
    c = getattr(tg, "comm", None)
    if c:
        return c[:15]
    return os.path.basename(tg.exe_path)[:15]


def _state(t: Any, tg: Any) -> tuple[str, str]:
    return ("R", "running") if t.tg is tg else ("S", "sleeping")


# Lines of the host's /proc/<pid>/status that describe the task's own memory, signal
# state and scheduling (the host holds them: the address space, dispositions and masks
# are the host task's); everything naming ids, capabilities or the sandbox is the Sentry's.
_HOST_MEMORY = ("VmPeak", "VmSize", "VmLck", "VmPin", "VmHWM", "VmRSS", "RssAnon", "RssFile",
                "RssShmem", "VmData", "VmStk", "VmExe", "VmLib", "VmPTE", "VmSwap",
                "HugetlbPages", "CoreDumping", "THP_enabled", "untag_mask")
_HOST_SIGNALS = ("SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
_HOST_TAIL = ("Speculation_Store_Bypass", "SpeculationIndirectBranch", "Cpus_allowed",
              "Cpus_allowed_list", "Mems_allowed", "Mems_allowed_list",
              "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")


def _host_status(tg: Any) -> dict[str, str]:
    pid = getattr(tg, "host_pid", None)
    if pid is None:
        return {}
    out = {}
    for line in task_proc_file(pid, "status").decode(errors="replace").splitlines():
        key, _, value = line.partition(":")
        out[key] = value[1:] if value.startswith("\t") else value
    return out


def _caps(c: Any) -> list[str]:
    return [f"CapInh:\t{c.inheritable:016x}", f"CapPrm:\t{c.permitted:016x}",
            f"CapEff:\t{c.effective:016x}", f"CapBnd:\t{c.bounding:016x}",
            f"CapAmb:\t{c.ambient:016x}"]


def status(t: Any, tg: Any) -> bytes:
    """/proc/<pid>/status with the fields and order of Linux 6.x."""
    c = tg.leader.creds
    tasks = getattr(tg, "tasks", None) or [tg.leader]
    st, desc = _state(t, tg)
    host = _host_status(tg)
    pgid, sid = getattr(tg, "pgid", tg.vpid), getattr(tg, "sid", tg.vpid)

    def pick(keys: tuple[str, ...]) -> list[str]:
        return [f"{k}:\t{host[k]}" for k in keys if k in host]

    prctl = getattr(tg.leader, "prctl", {})
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
        f"FDSize:\t{max(64, 1 << (len(tg.leader.fds) - 1).bit_length())}",
        "Groups:\t" + " ".join(str(g) for g in c.groups) + " ",  # Linux's trailing space
        f"NStgid:\t{tg.vpid}", f"NSpid:\t{tg.vpid}", f"NSpgid:\t{pgid}", f"NSsid:\t{sid}",
        "Kthread:\t0",
        *pick(_HOST_MEMORY),
        f"Threads:\t{len(tasks)}",
        *pick(("SigQ",)), *pick(_HOST_SIGNALS),
        *_caps(c),
        f"NoNewPrivs:\t{int(bool(prctl.get('no_new_privs', 0)))}",
        "Seccomp:\t0",
        "Seccomp_filters:\t0",
        *pick(_HOST_TAIL),
    ]
    if "Cpus_allowed_list" not in host:
        lines.append(f"Cpus_allowed_list:\t0-{(os.cpu_count() or 1) - 1}")
    return ("\n".join(lines) + "\n").encode()


def stat(t: Any, tg: Any) -> bytes:
    tasks = getattr(tg, "tasks", None) or [tg.leader]
    st, _ = _state(t, tg)
    pgid = getattr(tg, "pgid", tg.vpid)
    sid = getattr(tg, "sid", tg.vpid)
    sched = getattr(tasks[0], "sched", None)
    nice = sched.nice if sched is not None else 0
    rt = sched.rt_priority if sched is not None else 0
    prio = -1 - rt if rt else 20 + nice  # proc(5)'s priority: negated RT priority - 1
    # Fields 1-52 of proc(5); counters the Sentry does not keep are 0.
    fields = [tg.vpid, f"({comm(tg).decode(errors='replace')})", st, tg.ppid, pgid, sid,
              0, -1, 0x400000, 0, 0, 0, 0, 0, 0, 0, 0, prio, nice, len(tasks), 0, 0, 0, 0,
              (1 << 64) - 1] + [0] * 27
    return (" ".join(str(f) for f in fields) + "\n").encode()


def cmdline(t: Any, tg: Any) -> bytes:
    return tg.cmdline


def environ(t: Any, tg: Any) -> bytes:
    return getattr(tg, "environ", b"")


# Linux's names and units of the rlimits, in RLIMIT_* order (fs/proc/base.c lnames).
_LIMITS = (
    ("Max cpu time", "seconds"), ("Max file size", "bytes"), ("Max data size", "bytes"),
    ("Max stack size", "bytes"), ("Max core file size", "bytes"),
    ("Max resident set", "bytes"), ("Max processes", "processes"),
    ("Max open files", "files"), ("Max locked memory", "bytes"),
    ("Max address space", "bytes"), ("Max file locks", "locks"),
    ("Max pending signals", "signals"), ("Max msgqueue size", "bytes"),
    ("Max nice priority", ""), ("Max realtime priority", ""), ("Max realtime timeout", "us"),
)


def limits_text(rlimits: list[tuple[int, int]]) -> bytes:
    """/proc/<pid>/limits from (soft, hard) pairs: Linux's columns, "unlimited" for
    RLIM_INFINITY, the unit column padded and left out where Linux has none."""
    def value(v: int) -> str:
        return "unlimited" if v == RLIM_INFINITY else str(v)

    lines = [f"{'Limit':<25} {'Soft Limit':<20} {'Hard Limit':<20} {'Units':<10}\n"]
    for (name, unit), (soft, hard) in zip(_LIMITS, rlimits, strict=False):
        lines.append(f"{name:<25} {value(soft):<20} {value(hard):<20} "
                     + (f"{unit:<10}" if unit else "") + "\n")
    return "".join(lines).encode()


def limits(t: Any, tg: Any) -> bytes:
    return limits_text(tg.rlimits)


FILES: dict[str, Callable[[Any, Any], bytes]] = {
    "cmdline": cmdline, "comm": lambda t, tg: comm(tg) + b"\n", "status": status,
    "stat": stat, "mounts": _mounts.mounts, "mountinfo": _mounts.mountinfo,
    "environ": environ, "maps": _maps.maps, "smaps": _maps.smaps, "limits": limits,
}

"""Machine-wide /proc files: meminfo, cpuinfo, uptime, version, filesystems, loadavg, and
the read-only /proc/sys files (kernel/{hostname,osrelease,ostype,pid_max,...}, fs/...).
Values are the Sentry's view of the host's machine (memory and CPUs are shared with it),
never a path the guest named.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from sentry.kernel.creds import CAP_LAST_CAP, NGROUPS_MAX
from sentry.kernel.fd_table import NR_OPEN
from sentry.vfs.fsimpl.host.machine import host_cpuinfo, host_proc_stat, host_sysctl


def _kernel_start(t: Any, fs: Any) -> float:
    return getattr(t.kernel, "start_time", None) or fs.created


def meminfo(t: Any, fs: Any) -> bytes:
    page = os.sysconf("SC_PAGE_SIZE") // 1024
    total = os.sysconf("SC_PHYS_PAGES") * page
    free = os.sysconf("SC_AVPHYS_PAGES") * page
    rows = [("MemTotal", total), ("MemFree", free), ("MemAvailable", free), ("Buffers", 0),
            ("Cached", 0), ("SwapCached", 0), ("Active", 0), ("Inactive", 0),
            ("SwapTotal", 0), ("SwapFree", 0), ("Dirty", 0), ("Writeback", 0),
            ("AnonPages", 0), ("Mapped", 0), ("Shmem", 0), ("CommitLimit", total),
            ("Committed_AS", total - free), ("VmallocTotal", 34359738367),
            ("HugePages_Total", None), ("Hugepagesize", 2048)]
    out = ""
    for name, kb in rows:
        if kb is None:
            out += f"{name + ':':<16}{0:>8}\n"
        else:
            out += f"{name + ':':<16}{kb:>8} kB\n"
    return out.encode()


_cpuinfo_cache: list[bytes] = []


def cpuinfo(t: Any, fs: Any) -> bytes:
    """The host's cpuinfo (read once by the Sentry: the CPUs are the host's)."""
    if not _cpuinfo_cache:
        _cpuinfo_cache.append(host_cpuinfo())
    return _cpuinfo_cache[0]


def uptime(t: Any, fs: Any) -> bytes:
    up = time.monotonic() - _kernel_start(t, fs)
    idle = up * (os.cpu_count() or 1)
    return b"%.2f %.2f\n" % (up, idle)


def version(t: Any, fs: Any) -> bytes:
    u = os.uname()
    return f"Linux version {_release(t)} (runsc-py) {u.version}\n".encode()


def loadavg(t: Any, fs: Any) -> bytes:
    n = len(t.kernel.thread_groups)
    return b"0.00 0.00 0.00 1/%d %d\n" % (n, max(t.kernel.thread_groups, default=0))


def filesystems(t: Any, fs: Any) -> bytes:
    return b"".join(b"nodev\t%s\n" % n for n in (b"sysfs", b"tmpfs", b"proc", b"devtmpfs",
                                                 b"devpts", b"overlay", b"mqueue"))


def stat(t: Any, fs: Any) -> bytes:
    """/proc/stat: the machine's CPU counters (the CPUs are the host's); boot time, process
    counts and the rest are the sandbox's (interrupts and context switches: 0)."""
    cpu = [ln for ln in host_proc_stat().splitlines() if ln.startswith(b"cpu")]
    if not cpu:
        n = os.cpu_count() or 1
        cpu = [b"cpu  0 0 0 0 0 0 0 0 0 0"] + [b"cpu%d 0 0 0 0 0 0 0 0 0 0" % i for i in range(n)]
    btime = int(time.time() - (time.monotonic() - _kernel_start(t, fs)))
    groups = t.kernel.thread_groups
    running = sum(1 for g in groups.values() for _ in getattr(g, "tasks", ()))
    rest = [b"intr 0", b"ctxt 0", b"btime %d" % btime,
            b"processes %d" % max(groups, default=0), b"procs_running %d" % max(1, running),
            b"procs_blocked 0", b"softirq 0 0 0 0 0 0 0 0 0 0 0"]
    return b"\n".join(cpu + rest) + b"\n"


def _bytes(v: str | bytes) -> bytes:
    return v.encode() if isinstance(v, str) else v


def _release(t: Any) -> str:
    r = getattr(t.kernel, "release", None)
    return r.decode() if isinstance(r, bytes) else r or os.uname().release


FILES: dict[str, Callable[[Any, Any], bytes]] = {
    "meminfo": meminfo, "cpuinfo": cpuinfo, "uptime": uptime, "version": version,
    "filesystems": filesystems, "loadavg": loadavg, "stat": stat,
}

def _pid_max(t: Any) -> bytes:
    from sentry.kernel.process import pid_max  # (the kernel's; imported when first read)

    return b"%d\n" % pid_max()


def _number(n: int) -> Callable[[Any], bytes]:
    return lambda t: b"%d\n" % n


def _host(name: str) -> Callable[[Any], bytes]:
    return lambda t: b"%d\n" % host_sysctl(name)


# /proc/sys/<dir>/<name> → (mode, contents). Read-only values: the host kernel's limits
# the sandbox shares (pid_max, file-max, threads-max) and the Sentry's own (nr_open, the
# ceiling of RLIMIT_NOFILE; ngroups_max, setgroups' limit; cap_last_cap, the capabilities
# it knows). Modes are Linux's; a write is EACCES, as Linux answers the root of a user
# namespace for these global sysctls.
SYS_READONLY: dict[str, dict[str, tuple[int, Callable[[Any], bytes]]]] = {
    "kernel.": {
        "hostname": (0o444, lambda t: _bytes(getattr(t.kernel, "hostname", b"localhost"))
                     + b"\n"),
        "osrelease": (0o444, lambda t: _release(t).encode() + b"\n"),
        "ostype": (0o444, lambda t: b"Linux\n"),
        "pid_max": (0o644, _pid_max),
        "threads-max": (0o644, _host("kernel/threads-max")),
        "ngroups_max": (0o444, _number(NGROUPS_MAX)),
        "cap_last_cap": (0o444, _number(CAP_LAST_CAP)),
    },
    "fs.": {
        "file-max": (0o644, _host("fs/file-max")),
        "nr_open": (0o644, _number(NR_OPEN)),
    },
}

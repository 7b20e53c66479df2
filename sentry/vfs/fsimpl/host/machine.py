"""Host machine facts the Sentry itself reads for procfs (never a guest-named path)."""

from __future__ import annotations

import os


def host_cpuinfo() -> bytes:
    """The host's /proc/cpuinfo as the Sentry sees it, or one minimal record per CPU."""
    try:
        with open("/proc/cpuinfo", "rb") as f:
            return f.read()
    except OSError:
        return b"".join(
            b"processor\t: %d\nvendor_id\t: unknown\nmodel name\t: unknown\n\n" % i
            for i in range(os.cpu_count() or 1)
        )


def task_proc_file(host_pid: int, name: str) -> bytes:
    """The host's /proc/<host_pid>/<name> of a task of this sandbox (maps, smaps, status),
    b"" if the task is gone. Callers rewrite it: it names host files and host ids."""
    try:
        with open(f"/proc/{host_pid}/{name}", "rb") as f:
            return f.read()
    except OSError:
        return b""


def host_proc_stat() -> bytes:
    """The host's /proc/stat (CPU time counters of the machine the sandbox shares)."""
    try:
        with open("/proc/stat", "rb") as f:
            return f.read()
    except OSError:
        return b""


def cap_last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap", "rb") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 40

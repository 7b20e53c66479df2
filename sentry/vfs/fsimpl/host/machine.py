"""Host machine facts the Sentry itself reads for procfs (never a guest-named path)."""

from __future__ import annotations

import functools
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


def host_sys_file(path: str) -> bytes | None:
    """The host's /sys/<path> (the fixed paths sysfs.py copies), None if it has none."""
    try:
        with open("/sys/" + path, "rb") as f:
            return f.read()
    except OSError:
        return None


_HOST_SYSCTLS = ("fs/file-max", "kernel/threads-max")


@functools.cache
def host_sysctl(name: str) -> int:
    """A system-wide limit of the host kernel the sandbox shares, read once from the
    host's /proc/sys: `name` is one of _HOST_SYSCTLS (fixed paths, never a guest's)."""
    if name not in _HOST_SYSCTLS:
        raise ValueError(name)
    with open("/proc/sys/" + name, "rb") as f:
        return int(f.read().split()[0])


def host_proc_stat() -> bytes:
    """The host's /proc/stat (CPU time counters of the machine the sandbox shares)."""
    try:
        with open("/proc/stat", "rb") as f:
            return f.read()
    except OSError:
        return b""


def own_capabilities() -> dict[str, int] | None:
    """The Sentry process's own capability sets on the host (`do` gives its caller's sets to
    the guest), None if they cannot be read."""
    names = {"CapInh": "inheritable", "CapPrm": "permitted", "CapEff": "effective",
             "CapBnd": "bounding", "CapAmb": "ambient"}
    try:
        with open("/proc/self/status", "rb") as f:
            text = f.read().decode()
    except OSError:
        return None
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in names:
            out[names[key]] = int(value.strip(), 16)
    return out if len(out) == len(names) else None

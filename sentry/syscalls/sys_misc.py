"""uname and sysinfo: what the guest learns about "its" machine."""

from __future__ import annotations

import os
import struct
import time

from sentry.kernel.args import Args
from sentry.kernel.task import Task

_UTS_LEN = 65
_SYSINFO = struct.Struct("<q3Q6QH6x2QI4x")  # struct sysinfo, 112 bytes


def _uts_field(v: str | bytes) -> bytes:
    b = v.encode() if isinstance(v, str) else v
    return b[: _UTS_LEN - 1].ljust(_UTS_LEN, b"\0")


def sys_uname(t: Task, a: Args) -> int:
    """Implements uname(2): the host's release and machine, the sandbox's hostname."""
    host = os.uname()
    fields = ("Linux", t.kernel.hostname, host.release, host.version, host.machine,
              t.kernel.sysctl.get("kernel.domainname"))
    t.mem.write(a.ptr(0), b"".join(_uts_field(f) for f in fields))
    return 0


def sys_sysinfo(t: Task, a: Args) -> int:
    """Implements sysinfo(2).

    Differences: load averages are 0; memory and swap figures are the host's; procs counts
    the sandbox's tasks.
    """
    pages = os.sysconf("SC_PHYS_PAGES")
    avail = os.sysconf("SC_AVPHYS_PAGES")
    page = os.sysconf("SC_PAGE_SIZE")
    uptime = int(time.clock_gettime(time.CLOCK_BOOTTIME))
    nprocs = len(t.kernel.tasks)
    data = _SYSINFO.pack(uptime, 0, 0, 0, pages * page, avail * page, 0, 0, 0, 0, nprocs, 0, 0, 1)
    t.mem.write(a.ptr(0), data)
    return 0

"""uname, sethostname, setdomainname and sysinfo: what the guest learns about "its"
machine, and the names it may give it."""

from __future__ import annotations

import os
import struct
import time

from sentry.abi.errno import EINVAL, EPERM
from sentry.kernel import process
from sentry.kernel.args import Args
from sentry.kernel.creds import CAP_SYS_ADMIN, capable
from sentry.kernel.task import Task

_UTS_LEN = 65
_SYSINFO = struct.Struct("<q3Q6QH6x2QI4x")  # struct sysinfo, 112 bytes


def _uts_field(v: str | bytes) -> bytes:
    b = v.encode(errors="surrogateescape") if isinstance(v, str) else v
    return b[: _UTS_LEN - 1].ljust(_UTS_LEN, b"\0")


def sys_uname(t: Task, a: Args) -> int:
    """Implements uname(2): the host's release and machine, the sandbox's hostname; a
    PER_LINUX32 personality makes the machine i686 and UNAME26 the release 2.6.(60 +
    minor) (override_architecture, override_release)."""
    host = os.uname()
    release, machine = host.release, host.machine
    pers = process.personality(t.host_tid)
    if pers & PER_MASK == PER_LINUX32:
        machine = "i686"
    if pers & UNAME26:
        release = _uname26(release)
    fields = ("Linux", t.kernel.hostname, release, host.version, machine,
              t.kernel.sysctl.get("kernel.domainname"))
    t.mem.write(a.ptr(0), b"".join(_uts_field(f) for f in fields))
    return 0


PER_MASK, PER_LINUX32, UNAME26 = 0xFF, 0x0008, 0x0020000


def _uname26(release: str) -> str:
    """override_release: "2.6.<60 + minor>" and what follows the version numbers."""
    end, dots = 0, 0
    while end < len(release) and (release[end].isdigit() or release[end] == "."):
        if release[end] == "." and (dots := dots + 1) >= 3:
            break
        end += 1
    minor = release.split(".")[1] if release.count(".") else ""
    return f"2.6.{60 + (int(minor) if minor.isdigit() else 0)}{release[end:]}"


def _uts_name(t: Task, a: Args) -> bytes:
    """sethostname/setdomainname's argument: CAP_SYS_ADMIN in the guest's view (EPERM),
    0..64 bytes (EINVAL), copied as they are (EFAULT)."""
    if not capable(t.creds, CAP_SYS_ADMIN):
        raise EPERM()
    n = a.int(1)
    if not 0 <= n < _UTS_LEN:
        raise EINVAL()
    return t.mem.read(a.ptr(0), n)


def sys_sethostname(t: Task, a: Args) -> int:
    """Implements sethostname(2): the sandbox's own hostname (its UTS namespace)."""
    t.kernel.hostname = _uts_name(t, a)
    return 0


def sys_setdomainname(t: Task, a: Args) -> int:
    """Implements setdomainname(2): the sandbox's kernel.domainname, its bytes as given
    (kept as a str with surrogate escapes, as the sysctl's readers encode it)."""
    name = _uts_name(t, a).split(b"\0", 1)[0]
    t.kernel.sysctl.values["kernel.domainname"] = name.decode(errors="surrogateescape")
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

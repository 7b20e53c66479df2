"""memfd_create(2), and fcntl's F_ADD_SEALS / F_GET_SEALS (file sealing).

The files are tmpfs files on an internal mount (sentry/vfs/fsimpl/tmpfs/memfd.py); the
seal rules are sentry/vfs/fsimpl/tmpfs/seals.py. Nothing here reaches the host: the
memfd behind the file is the Sentry's own.
"""

from __future__ import annotations

from sentry.abi.errno import EINVAL, ENAMETOOLONG, EPERM
from sentry.kernel.args import Args
from sentry.kernel.task import Task
from sentry.vfs.file import FileDescription
from sentry.vfs.fsimpl.tmpfs import memfd

F_ADD_SEALS, F_GET_SEALS = 1033, 1034


def sys_memfd_create(t: Task, a: Args) -> int:
    """Implements memfd_create(2). Differences: MFD_HUGETLB files behave as on a host with
    no huge pages (mmap ENOMEM); the vm.memfd_noexec sysctl is taken as 0."""
    flags = a.uint(1)
    memfd.check_flags(flags)
    try:  # EFAULT for a bad pointer; the NUL must come within 250 bytes
        name = t.mem.read_cstr(a.ptr(0), memfd.MFD_NAME_MAX + 1)
    except ENAMETOOLONG:
        raise EINVAL() from None
    t.fds.free_fd()  # EMFILE before the file is made
    f = memfd.create(t, name, flags)
    return t.fds.install(f, bool(flags & memfd.MFD_CLOEXEC))


def seals_fcntl(f: FileDescription, cmd: int, arg: int) -> int:
    """fcntl F_GET_SEALS / F_ADD_SEALS: EINVAL for a file that has no seals (not tmpfs),
    EPERM for adding through a descriptor not open for writing."""
    if cmd == F_ADD_SEALS and not f.writable:
        raise EPERM()
    get = getattr(f, "get_seals", None)
    if get is None:
        raise EINVAL()
    if cmd == F_GET_SEALS:
        return get()
    f.add_seals(arg & 0xFFFFFFFF)  # type: ignore[attr-defined]
    return 0

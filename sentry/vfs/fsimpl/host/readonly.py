"""Read-only host fds for shared mappings of files the guest opened read-only.

The Sentry's host fd of a file may be writable where the guest's description is not: a
tmpfs file's memfd, a rw bind's shared fd. The host gives a MAP_SHARED mapping of a
writable fd VM_MAYWRITE, so the guest could mprotect it writable (mprotect is a host call)
and write a file it may only read. Such a mapping is made from a read-only reopen of the
fd instead (/proc/self/fd, the same open file on the host), kept with the description and
closed when the description goes.
"""

from __future__ import annotations

import fcntl
import os
import weakref
from typing import Any

from sentry.vfs.fsimpl.host.hostfs import sys_error

_READONLY: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def shared_map_fd(f: Any, host_fd: int) -> int:
    """host_fd if it is read-only, else f's read-only reopen of it."""
    ro = _READONLY.get(f)
    if ro is not None:
        return ro
    try:
        if fcntl.fcntl(host_fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
            return host_fd
        ro = os.open(f"/proc/self/fd/{host_fd}", os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise sys_error(e) from None
    _READONLY[f] = ro
    weakref.finalize(f, os.close, ro)
    return ro

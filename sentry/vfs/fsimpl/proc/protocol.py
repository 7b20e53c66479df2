"""What procfs reads from the kernel: the exact shape the kernel's objects must have.

procfs reaches these through the calling task: `t.kernel` is a ProcKernel, `t.tg` a
ProcThreadGroup. Attributes marked optional are read with getattr and a fallback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sentry.kernel.creds import Credentials
    from sentry.kernel.fd_table import FdTable
    from sentry.kernel.fs_context import FsContext


class ProcTask(Protocol):
    """A task (thread) as procfs needs it: the thread-group leader's tables."""

    vtid: int
    fds: FdTable
    fs: FsContext
    creds: Credentials


class ProcThreadGroup(Protocol):
    """A process.

    Required: vpid, ppid, exe_path (absolute guest path of the executable), cmdline
    (argv joined with NULs and NUL-terminated, as /proc/<pid>/cmdline shows it), leader.
    Optional: pgid (default vpid), sid (default vpid), comm (bytes, default the basename of
    exe_path truncated to 15 bytes), tasks (list of ProcTask, default [leader]),
    start_time (time.monotonic() at fork, default the kernel's).
    """

    vpid: int
    ppid: int
    exe_path: bytes
    cmdline: bytes
    leader: ProcTask


class ProcKernel(Protocol):
    """The sandbox's kernel.

    Required: thread_groups (vpid → ProcThreadGroup, live processes only).
    Optional: hostname (bytes, default b"localhost"), start_time (time.monotonic() at boot,
    default procfs's creation), release (bytes for osrelease, default the host's).
    """

    thread_groups: dict[int, ProcThreadGroup]

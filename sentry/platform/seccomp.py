"""The seccomp platform: ALLOW / NOTIFY / TRACE lanes from one BPF filter.

Measured on this 2-vCPU VM (ARCHITECTURE.md): USER_NOTIF round trips cost 5-7 µs with
SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP and 45-62 µs without, so the flag is set whenever the
kernel has it (6.6+); ptrace stops cost 13-81 µs and are kept for register work.
"""

from __future__ import annotations

import errno
import fcntl

from sentry.platform import filter as bpf
from sentry.platform.base import ST_AT_OTHER, Platform
from sentry.platform.native import check, lib

# Missing from Debian's headers (linux/seccomp.h, Linux 6.6). The ioctl takes the flag
# value itself; a pointer gives EINVAL.
SECCOMP_IOCTL_NOTIF_SET_FLAGS = 0x40082104  # _IOW('!', 4, __u64)
SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP = 1


class SeccompPlatform(Platform):
    name = "seccomp"
    resume_how = lib.ST_CONT
    in_place = True

    def __init__(self) -> None:
        super().__init__()
        self.sync_wakeup = False

    def filter_bpf(self) -> bytes:
        return self.batch_prefix() + bpf.export_bpf(bpf.seccomp_filter())

    def enable_sync_wakeup(self) -> None:
        try:
            fcntl.ioctl(self.listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                        SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
            self.sync_wakeup = True
        except OSError as e:  # older kernels: slower wake-ups, same semantics
            if e.errno not in (errno.EINVAL, errno.ENOTTY):
                raise

    def rerun_start(self, ctx, watch_exit: bool = False) -> None:
        """At a seccomp stop the call has not run yet: continuing runs it on the host
        (to its exit stop with `watch_exit`, as the ptrace platform's re-run)."""
        if watch_exit:
            ctx.rerun = "running"
        ctx.where = ST_AT_OTHER  # running: a notification of its own comes from elsewhere
        check(lib.st_resume(ctx.tid, lib.ST_SYSCALL if watch_exit else lib.ST_CONT, 0),
              "resume into the call")

    def run_trapped_on_host(self, ctx) -> None:
        self.rerun_start(ctx)

    def injected_lane(self, nr: int, args: tuple[int, ...]) -> str:
        return bpf.lane_of(nr, args)

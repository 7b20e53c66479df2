"""The ptrace platform: every syscall stops under PTRACE_SYSEMU (as gVisor's ptrace platform).

The portable baseline and the cross-check for `seccomp`. Allow-listed calls are run on the
host by rewinding the task to its `syscall` instruction; everything else is answered by
the Sentry at the stop. The filter only guards calls the Sentry injects.
Other ABIs never reach the filter here (SYSEMU stops first), so the kernel checks the
arch of every stop itself and kills the task for int 0x80 / x32.
"""

from __future__ import annotations


from sentry.platform import filter as bpf
from sentry.platform.base import Platform
from sentry.platform.allowlist import is_allowed
from sentry.platform.native import check, lib


class PtracePlatform(Platform):
    name = "ptrace"
    resume_how = lib.ST_SYSEMU

    def filter_bpf(self) -> bytes:
        return self.batch_prefix() + bpf.export_bpf(bpf.ptrace_filter())

    def injected_lane(self, nr: int, args: tuple[int, ...]) -> str:
        if nr == bpf.DOORBELL:
            return "notify"
        return "allow" if is_allowed(nr, args) else "trace"  # ptrace_filter(): TRACE default

    def rerun_start(self, ctx, watch_exit: bool = False) -> None:
        """SYSEMU skipped the call: rewind onto it and run it under PTRACE_SYSCALL; the
        kernel follows the stops (skipped call's exit, the entry, events, the exit), so
        the exit is always watched."""
        check(lib.st_rerun_start(ctx.tid), "rerun")
        ctx.rerun = "skipped_exit"

    def run_trapped_on_host(self, ctx) -> None:
        self.rerun_start(ctx)

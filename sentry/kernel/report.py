"""`runsc_py do --report`: which syscalls a workload made, on which lane, at what cost.

The kernel counts each call it traps (notify or trace lane) and the time its handler
took in the Sentry; on the ptrace platform the allow-listed calls it re-runs on the host
are counted too. On the seccomp platform the allow lane runs on the host at native speed
and is invisible to the Sentry: the report says so rather than guess.
"""

from __future__ import annotations

from collections import defaultdict
from sentry.record import dataclass, field

from sentry.abi.sysno import NAMES


@dataclass
class Report:
    platform: str
    # (nr, lane) -> [calls, nanoseconds in the Sentry]
    calls: dict[tuple[int, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0]))
    enosys: set[int] = field(default_factory=set)

    def add(self, nr: int, lane: str, ns: int) -> None:
        c = self.calls[(nr, lane)]
        c[0] += 1
        c[1] += ns

    def render(self) -> str:
        rows = sorted(self.calls.items(), key=lambda kv: -kv[1][0])
        total = sum(c for c, _ in self.calls.values())
        lines = [f"syscalls trapped by the Sentry ({self.platform} platform): {total}",
                 f"{'syscall':24} {'lane':8} {'calls':>8} {'ms in Sentry':>13} {'µs/call':>9}"]
        for (nr, lane), (count, ns) in rows:
            lines.append(f"{NAMES.get(nr, str(nr)):24} {lane:8} {count:8d} {ns / 1e6:13.2f} "
                         f"{ns / count / 1e3:9.1f}")
        if self.platform == "seccomp":
            lines.append("allow-lane calls ran on the host at native speed (not counted; "
                         "`runsc_py syscalls` lists them)")
        if self.enosys:
            names = ", ".join(f"{NAMES.get(nr, '?')} ({nr})" for nr in sorted(self.enosys))
            lines.append(f"unsupported, answered ENOSYS: {names}")
        else:
            lines.append("no call got ENOSYS: the workload was fully served")
        return "\n".join(lines)

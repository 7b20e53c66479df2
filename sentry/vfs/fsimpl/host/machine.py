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

"""Per-call latency, measured in the guest by bench/probes/loop.c (ns per iteration): every
runtime once per round, interleaved. N is fixed per benchmark (a tenth with --quick) so
every runtime does the same work. Nothing asserts on time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.conftest import n_iter

# name -> (loop mode, iterations in a full run, needs: "4k" | "1m" | "out" | "true" | "")
CASES = {
    "getpid": ("getpid", 20000, ""),
    "clock_gettime (syscall)": ("clock_gettime", 20000, ""),
    "stat": ("stat", 5000, "4k"),
    "open+close": ("openclose", 3000, "4k"),
    "open+read 4 KiB+close": ("open", 2000, "4k"),
    "read 4 KiB (pread)": ("read4k", 5000, "4k"),
    "write 4 KiB (pwrite)": ("write4k", 5000, "out"),
    "pipe ping-pong": ("pipe", 2000, ""),
    "unix ping-pong": ("unix", 2000, ""),
    "mmap+munmap 64 KiB anon": ("mmap", 2000, ""),
    "mmap+munmap 4 KiB file": ("mmapfile", 1000, "4k"),
    "fork+wait": ("fork", 100, ""),
    "fork+exec+wait": ("forkexec", 30, "true"),
}


# Cases also run under bench/probes/floor.c, as the runtime `floor`: the same loop answered
# by a C stand-in for the Sentry that does only the round trip, the memory copies and the
# host calls ours must make. Its ratio to native is what the trap design costs on this
# machine before any Python runs: the part of a target that Python cannot take back.
FLOOR_MODES = ("getpid", "stat", "open")


@pytest.mark.parametrize("name", list(CASES))
def test_latency(name: str, interleaved, loop_bin: Path, floor_bin: Path,
                 data_dir: Path) -> None:
    mode, n, needs = CASES[name]

    def argv(runtime: str) -> list[str]:
        extra = {
            "4k": [str(data_dir / "data-4k")],
            "out": [str(data_dir / f"out-4k-{runtime}")],
            "true": ["/bin/true"],
            "": [],
        }[needs]
        loop = [] if runtime == "floor" else [str(loop_bin)]
        return [*loop, mode, str(n_iter(n)), *extra]

    floor = {"floor": [str(floor_bin)]} if mode in FLOOR_MODES else None
    interleaved(name, argv, kind="latency", unit="ns", extra=floor,
                what=f"`loop {mode} N`: {n_iter(n)} iterations, mean per iteration"
                + ("; `floor`: bench/probes/floor.c" if floor else ""))

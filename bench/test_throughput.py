"""Throughput in 64 KiB calls, measured in the guest (ns per MiB; the report shows MiB/s):
file read and write of 1 MiB, and 1 MiB through a pipe to a child that drains it."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.conftest import n_iter

CASES = {
    "file read 1 MiB": ("fileread", 64, "in"),
    "file write 1 MiB": ("filewrite", 64, "out"),
    "pipe 1 MiB": ("pipethru", 64, ""),
}


@pytest.mark.parametrize("name", list(CASES))
def test_throughput(name: str, interleaved, loop_bin: Path, data_dir: Path) -> None:
    mode, n, needs = CASES[name]

    def argv(runtime: str) -> list[str]:
        extra = {"in": [str(data_dir / "data-1m")],
                 "out": [str(data_dir / f"out-1m-{runtime}")], "": []}[needs]
        return [str(loop_bin), mode, str(n_iter(n)), *extra]

    interleaved(name, argv, kind="throughput", unit="ns/MiB",
                what=f"`loop {mode} N`: {n_iter(n)} MiB in 64 KiB calls")

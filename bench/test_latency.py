"""Per-call latency: getpid, and open + read 4096 + close, on every runner side by side.

N is fixed per benchmark (override with RUNSC_BENCH_N_GETPID / RUNSC_BENCH_N_OPEN) so every
runner does the same work; the probe reports ns per iteration, raw. Nothing asserts on time.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

N_GETPID = int(os.environ.get("RUNSC_BENCH_N_GETPID", "20000"))
N_OPEN = int(os.environ.get("RUNSC_BENCH_N_OPEN", "2000"))


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    f = tmp_path_factory.mktemp("bench") / "data-4k"
    f.write_bytes(bytes(range(256)) * 16)
    return f


def test_getpid(measure, loop_bin: Path) -> None:
    measure("getpid", [str(loop_bin), "getpid", str(N_GETPID)])


def test_open_read_close(measure, loop_bin: Path, data_file: Path) -> None:
    measure("open+read4k+close", [str(loop_bin), "open", str(N_OPEN), str(data_file)])

"""File-system benchmarks loop.c does not cover, interleaved on every runtime (measured in
the guest by bench/probes/vfs.c): getdents64 of a 1000-entry directory (open + read to the
end + close), and sequential file I/O in 1 MiB calls (ns per MiB; the report shows MiB/s).
In the sandbox the directory and the read file are host-backed (overlay lower); writes go
to a copied-up memfd in the upper layer. Nothing asserts on time.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bench.conftest import build, n_iter


@pytest.fixture(scope="session")
def vfs_bin() -> Path:
    return build("vfs")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("bench-vfs")
    (d / "big").write_bytes(os.urandom(1 << 20) * 16)
    many = d / "many"
    many.mkdir()
    for i in range(1000):
        (many / f"entry-{i:04d}").write_bytes(b"")
    return d


def test_getdents_1000(interleaved, vfs_bin: Path, tree: Path) -> None:
    n = n_iter(100)
    interleaved("getdents 1000 entries", [str(vfs_bin), "getdents", str(n), str(tree / "many")],
                kind="latency", unit="ns",
                what=f"`vfs getdents N`: {n} x open + getdents64 to the end + close")


@pytest.mark.parametrize("mode", ["seqread", "seqwrite"])
def test_sequential_1m_calls(mode: str, interleaved, vfs_bin: Path, tree: Path) -> None:
    n = n_iter(200)
    name = "file read, 1 MiB calls" if mode == "seqread" else "file write, 1 MiB calls"

    def argv(runtime: str) -> list[str]:
        path = tree / "big" if mode == "seqread" else tree / f"seq-{runtime}"
        return [str(vfs_bin), mode, str(n), str(path)]

    interleaved(name, argv, kind="throughput", unit="ns/MiB",
                what=f"`vfs {mode} N`: {n} MiB in 1 MiB calls")

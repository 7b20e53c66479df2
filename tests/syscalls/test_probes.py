"""Differential probes: each C probe in probes/*.c must print the same and exit the same
natively and under `runsc_py --platform=P do`, for both platforms.

Each run gets argv[1] = a scratch path that does not exist yet (its parent does); probes that
need files make it, the rest ignore it. Probes print results and errno names only, never
pids, addresses or times, so the outputs can be compared byte for byte.

Known Sentry bugs are marked in the probe's header (bench/probelib.py): `// xfail: REASON`
makes the whole probe an expected failure, `// xfail-line: PREFIX -- REASON` leaves the lines
starting with PREFIX out of the comparison.
"""

from __future__ import annotations

import difflib
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import probelib

NativeCache = dict[str, subprocess.CompletedProcess]


@pytest.fixture(scope="session")
def native_cache() -> NativeCache:
    """One native run per probe, shared by both platforms' tests."""
    return {}


def _diff(native: bytes, sandboxed: bytes) -> str:
    a = native.decode(errors="replace").splitlines(keepends=True)
    b = sandboxed.decode(errors="replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, "native", "sandboxed"))


def test_probe(
    probe_name: str,
    sandbox_platform: str,
    probe: Callable[[str], Path],
    native_cache: NativeCache,
    tmp_path_factory: pytest.TempPathFactory,
    run_native,
    run_sandboxed,
    describe,
    compat_record,
) -> None:
    binary = probe(probe_name)
    if probe_name not in native_cache:
        scratch = tmp_path_factory.mktemp(f"{probe_name}-native") / "scratch"
        native = run_native([str(binary), str(scratch)], cwd=scratch.parent)
        assert native.returncode == 0, "the probe fails natively:\n" + describe(native)
        native_cache[probe_name] = native
    native = native_cache[probe_name]

    scratch = tmp_path_factory.mktemp(f"{probe_name}-{sandbox_platform}") / "scratch"
    boxed = run_sandboxed(sandbox_platform, [str(binary), str(scratch)], cwd=scratch.parent)
    compat_record(probe_name, sandbox_platform, native.stdout, boxed.stdout)
    meta = probelib.parse(probelib.PROBES / f"{probe_name}.c")
    cmp = probelib.compare(meta, native, boxed)
    if meta.xfail:
        if cmp.same:
            pytest.fail(f"marked xfail ({meta.xfail}) but matches natively: drop the mark")
        pytest.xfail(meta.xfail)
    assert cmp.same, f"output differs:\n{cmp.diff}\n" + describe(boxed)
    if cmp.xfail_stale:
        pytest.fail("the lines these xfail-line marks name match natively now: drop the "
                    f"marks ({', '.join(cmp.xfail_stale)})")


def test_probe_is_deterministic(
    probe_name: str,
    probe: Callable[[str], Path],
    native_cache: NativeCache,
    tmp_path_factory: pytest.TempPathFactory,
    run_native,
    describe,
) -> None:
    """Two native runs in different dirs print the same: the probe compares nothing that varies."""
    binary = probe(probe_name)
    runs = []
    for i in range(2):
        scratch = tmp_path_factory.mktemp(f"{probe_name}-det{i}") / f"scratch-{'x' * 7 * i}"
        runs.append(run_native([str(binary), str(scratch)], cwd=scratch.parent))
        assert runs[-1].returncode == 0, describe(runs[-1])
    assert runs[0].stdout == runs[1].stdout, _diff(runs[0].stdout, runs[1].stdout)
    native_cache.setdefault(probe_name, runs[0])

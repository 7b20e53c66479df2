"""Builds the C probes: gcc -O1, dynamic unless the header says `// build: -static`.

Probe headers (`// covers:`, `// xfail:`, `// xfail-line:`) and the build cache are in
bench/probelib.py, shared with `python -m bench`'s compatibility report.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bench import probelib

PROBES = probelib.PROBES


def differential_probes() -> list[str]:
    """Names of the probes that must print the same natively and sandboxed."""
    return [m.name for m in probelib.differential_probes()]


def build(src: Path) -> Path:
    """Compiles src (cached by content hash, see bench/probelib.py); returns the binary."""
    try:
        return probelib.build(src)
    except probelib.BuildError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def probe() -> Callable[[str], Path]:
    """probe("file") or probe("containment/int80") -> path of the built binary."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            cache[name] = build(PROBES / f"{name}.c")
        return cache[name]

    return get


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes `probe_name` runs once per differential probe."""
    if "probe_name" in metafunc.fixturenames:
        metafunc.parametrize("probe_name", differential_probes())


# (probe, platform) -> (lines the sandbox printed as natively, lines printed natively).
COMPAT: dict[tuple[str, str], tuple[int, int]] = {}


@pytest.fixture(scope="session")
def compat_record() -> Callable[[str, str, bytes, bytes], None]:
    """compat_record(probe, platform, native_stdout, sandboxed_stdout) for the summary."""

    def record(name: str, platform: str, native: bytes, boxed: bytes) -> None:
        """Lines marked `xfail-line` in the probe are left out (bench/probelib.py)."""
        meta = probelib.parse(PROBES / f"{name}.c")
        a, _ = probelib.split_xfail(meta, native)
        b, _ = probelib.split_xfail(meta, boxed)
        same = sum(1 for i, line in enumerate(a) if i < len(b) and b[i] == line)
        COMPAT[(name, platform)] = (same, len(a))

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Compatibility per probe and platform: lines that matched the native run, in order
    (lines marked xfail-line not counted)."""
    if not COMPAT:
        return
    tr = terminalreporter
    tr.section("syscall probes: lines matching native")
    platforms = sorted({p for _, p in COMPAT})
    tr.write_line(f"{'probe':<16}" + "".join(f"{p:>12}" for p in platforms))
    totals = {p: [0, 0] for p in platforms}
    for name in sorted({n for n, _ in COMPAT}):
        cells = []
        for p in platforms:
            if (name, p) not in COMPAT:
                cells.append("-".rjust(10) + "  ")
                continue
            same, total = COMPAT[(name, p)]
            totals[p][0] += same
            totals[p][1] += total
            cells.append(f"{same}/{total}".rjust(10) + ("  " if same == total else " !"))
        tr.write_line(f"{name:<16}" + "".join(cells))
    tr.write_line(f"{'overall':<16}" + "".join(
        f"{totals[p][0]}/{totals[p][1]}".rjust(10) + "  " for p in platforms))

"""Builds the C probes: gcc -O1, dynamic unless the first line says `// build: -static`.

Binaries are cached in tests/syscalls/probes/bin/ (gitignored) under a name that carries a
hash of the source, probe.h and the flags, so an edited probe is rebuilt and a stale one
never runs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

PROBES = Path(__file__).resolve().parent / "probes"
BIN = PROBES / "bin"
BASE_FLAGS = ("-O1", "-Wall", "-Werror=implicit-function-declaration")


def differential_probes() -> list[str]:
    """Names of the probes that must print the same natively and sandboxed."""
    return sorted(p.stem for p in PROBES.glob("*.c"))


def build_flags(src: Path) -> list[str]:
    """BASE_FLAGS plus what the probe's first line asks for (`// build: -static`)."""
    first = src.read_text().split("\n", 1)[0].strip()
    extra = first.split("build:", 1)[1].split() if first.startswith("// build:") else []
    return [*BASE_FLAGS, *extra]


def build(src: Path) -> Path:
    """Compiles src (cached by content hash); returns the binary's path."""
    flags = build_flags(src)
    h = hashlib.sha256()
    for part in (src.read_bytes(), (PROBES / "probe.h").read_bytes(), " ".join(flags).encode()):
        h.update(part)
    rel = src.relative_to(PROBES).with_suffix("")
    out = BIN / f"{'-'.join(rel.parts)}-{h.hexdigest()[:12]}"
    if out.exists():
        return out
    BIN.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.tmp{os.getpid()}")
    cmd = ["gcc", *flags, f"-I{PROBES}", "-o", str(tmp), str(src)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"building {src.name} failed:\n{' '.join(cmd)}\n{r.stderr}", pytrace=False)
    os.replace(tmp, out)  # atomic: concurrent sessions never see a half-written binary
    for old in BIN.glob(f"{'-'.join(rel.parts)}-" + "?" * 12):
        if old != out:
            old.unlink(missing_ok=True)  # an earlier version of this probe
    return out


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
        a, b = native.splitlines(), boxed.splitlines()
        same = sum(1 for i, line in enumerate(a) if i < len(b) and b[i] == line)
        COMPAT[(name, platform)] = (same, len(a))

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Compatibility per probe and platform: lines that matched the native run, in order."""
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
